namespace Vae.MLNet.Tests.TestData;

/// <summary>Row sources as users' data arrives: one that yields its rows only once (a stream, a queue, a database
/// reader), and one that gives other rows each time it is enumerated.</summary>
internal static class Sources
{
    /// <summary>Yields <paramref name="rows"/> on the first enumeration, nothing after.</summary>
    public static IEnumerable<T> OneShot<T>(IEnumerable<T> rows) => new OneShotSource<T>(rows);

    /// <summary>Each enumeration yields <paramref name="pass"/> of its number (0, 1, 2, ...).</summary>
    public static IEnumerable<T> Changing<T>(Func<int, IEnumerable<T>> pass) => new ChangingSource<T>(pass);

    private sealed class OneShotSource<T>(IEnumerable<T> rows) : IEnumerable<T>
    {
        private int _enumerations;

        public IEnumerator<T> GetEnumerator() =>
            Interlocked.Increment(ref _enumerations) == 1 ? rows.GetEnumerator() : Enumerable.Empty<T>().GetEnumerator();

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }

    private sealed class ChangingSource<T>(Func<int, IEnumerable<T>> pass) : IEnumerable<T>
    {
        private int _enumerations;

        public IEnumerator<T> GetEnumerator() => pass(Interlocked.Increment(ref _enumerations) - 1).GetEnumerator();

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
