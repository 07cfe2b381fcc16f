using static TorchSharp.torch;

namespace Vae.MLNet.Training;

/// <summary>TorchSharp's thread count for the duration of a fit. The setting is process-wide: the first fit to start
/// keeps the count it found and the last one to finish puts it back, so fits that overlap on other threads never leave
/// the process with another fit's count (the latest fit's count holds while they overlap).</summary>
internal static class TorchThreads
{
    private static readonly Lock Gate = new();
    private static int _active;
    private static int _saved;

    /// <summary>Sets the count until the returned lease is disposed.</summary>
    public static IDisposable Use(int threads)
    {
        lock (Gate)
        {
            if (_active++ == 0)
            {
                _saved = get_num_threads();
            }

            set_num_threads(threads);
        }

        return new Lease();
    }

    private sealed class Lease : IDisposable
    {
        private bool _disposed;

        public void Dispose()
        {
            lock (Gate)
            {
                if (_disposed)
                {
                    return;
                }

                _disposed = true;
                if (--_active == 0)
                {
                    set_num_threads(_saved);
                }
            }
        }
    }
}
