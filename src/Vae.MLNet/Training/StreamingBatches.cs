using System.Collections.Concurrent;
using System.Runtime.ExceptionServices;
using Vae.MLNet.Columns;
using static TorchSharp.torch;

namespace Vae.MLNet.Training;

/// <summary>Batches read from the data as it is read, one pass per epoch, encoded row by row: nothing of the size of
/// the table is held. The validation rows are spread evenly over the reading order (row i of N is held out when
/// floor((i + 1) v / N) &gt; floor(i v / N), for v = floor(N x the validation fraction)), so every pass picks the
/// same ones. An epoch's order comes from a bounded shuffle buffer: the first rows fill it, then each row read
/// takes the place of one drawn from it at random (a generator seeded by the fit's seed and the epoch).</summary>
internal sealed class StreamingBatches : BatchSource
{
    /// <summary>The most memory the shuffle buffer takes, and the most rows it holds.</summary>
    internal const long ShuffleBufferBytes = 64L << 20;
    internal const int ShuffleBufferRows = 65_536;

    private readonly EncodedPasses _passes;
    private readonly int _width;
    private readonly int _capacity;
    private int _seed;
    private int _validationRows;
    private Device _device = CPU;
    private float[] _batch = [];
    private int _batchRows = 1;

    /// <param name="passes">The data, read once per pass.</param>
    /// <param name="batchSize">Rows per training batch; the shuffle buffer holds at least four batches.</param>
    public StreamingBatches(EncodedPasses passes, int batchSize)
    {
        if (passes.Rows > int.MaxValue)
        {
            throw new InvalidOperationException($"The training data has {passes.Rows:N0} rows; Fit trains on at most {int.MaxValue:N0}. Train on a sample of the rows.");
        }

        _passes = passes;
        _width = passes.Width;
        var rowBytes = (long)_width * sizeof(float);
        var fit = (int)Math.Clamp(ShuffleBufferBytes / rowBytes, 1, ShuffleBufferRows);
        _capacity = (int)Math.Min(passes.Rows, Math.Max(fit, 4L * batchSize));
    }

    /// <summary>The rows the shuffle buffer holds.</summary>
    public int ShuffleCapacity => _capacity;

    public override int TrainRows => (int)_passes.Rows - _validationRows;

    public override int ValidationRows => _validationRows;

    public override void Open(TrainingSettings settings, Device device)
    {
        var rows = (int)_passes.Rows;
        var validation = (int)Math.Floor(rows * settings.ValidationFraction);
        _validationRows = validation == rows ? 0 : validation;
        _seed = settings.Seed;
        _batchRows = Math.Max(1, Math.Min(settings.BatchSize, TrainRows));
        _device = device;
        // Training batches, validation batches and the numeric noise's chunks (smaller than validation's) share it.
        _batch = new float[Math.Max(Math.Min(settings.BatchSize, rows), Math.Min(VaeTrainer.EvaluationBatch, rows)) * _width];
    }

    public override IBatchReader Epoch(int epoch, Generator generator) =>
        new Shuffled(this, new Random(unchecked((_seed * 1_000_003) + epoch)));

    public override IBatchReader Validation() => new InOrder(this, validation: true);

    public override IBatchReader Training() => new InOrder(this, validation: false);

    /// <summary>Whether the row at this position of a reading is held out for validation.</summary>
    private bool IsValidation(long position) =>
        _validationRows > 0 && ((position + 1) * _validationRows / _passes.Rows) > (position * _validationRows / _passes.Rows);

    /// <summary>The next row of the wanted part (validation or training) encoded into <paramref name="destination"/>;
    /// false at the end of the reading.</summary>
    private bool ReadRow(EncodedPasses.Pass pass, bool validation, Span<float> destination)
    {
        while (pass.MoveNext())
        {
            if (IsValidation(pass.Position) == validation)
            {
                pass.Encode(destination);
                return true;
            }
        }

        return false;
    }

    /// <summary>The batch's rows, copied into a tensor of the current dispose scope.</summary>
    private Tensor ToTensor(float[] values, int rows)
    {
        using var view = from_array(values);
        using var part = view.narrow(0, 0, (long)rows * _width);
        using var shaped = part.view(rows, _width);
        var x = shaped.clone();
        return _device.type == TorchSharp.DeviceType.CPU ? x : x.to(_device);
    }

    private static InvalidOperationException TooFew() => new("The training data ended before the rows of its first reading were read.");

    /// <summary>An epoch's training rows through the shuffle buffer. The rows are read, encoded and shuffled on a
    /// thread of their own, a few batches ahead of training (the order is the same: one thread does all of it in
    /// turn); the trainer takes the batches in order.</summary>
    private sealed class Shuffled : IBatchReader
    {
        /// <summary>Batches read ahead of training.</summary>
        private const int Ahead = 3;

        private readonly StreamingBatches _owner;
        private readonly Random _random;
        private readonly EncodedPasses.Pass _pass;
        private readonly float[] _buffer;
        private readonly BlockingCollection<(float[] Values, int Rows)> _ready = new(Ahead);
        private readonly BlockingCollection<float[]> _free = [];
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _reader;
        private ExceptionDispatchInfo? _error;
        private int _filled;
        private bool _exhausted;

        public Shuffled(StreamingBatches owner, Random random)
        {
            _owner = owner;
            _random = random;
            _pass = owner._passes.Open();
            _buffer = new float[(long)owner._capacity * owner._width];
            for (var i = 0; i <= Ahead; i++)
            {
                _free.Add(new float[owner._batchRows * owner._width]);
            }

            _reader = Task.Factory.StartNew(Read, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        }

        public Tensor Next(int rows)
        {
            if (!_ready.TryTake(out var batch, Timeout.Infinite))
            {
                _error?.Throw();
                throw TooFew();
            }

            if (batch.Rows != rows)
            {
                throw new InvalidOperationException($"The trainer asked for {rows} rows; the epoch's next batch has {batch.Rows}.");
            }

            var x = _owner.ToTensor(batch.Values, rows);
            _free.Add(batch.Values);
            return x;
        }

        public void Complete()
        {
            _reader.Wait();
            _error?.Throw();
        }

        public void Dispose()
        {
            _stop.Cancel();
            try
            {
                _reader.Wait();
            }
            catch (AggregateException)
            {
                // Its error was reported to the trainer, or the trainer stopped first.
            }

            _pass.Dispose();
            _ready.Dispose();
            _free.Dispose();
            _stop.Dispose();
        }

        /// <summary>Fills the batches of the epoch in turn, then reads the rest of the data (the fingerprint).</summary>
        private void Read()
        {
            try
            {
                var width = _owner._width;
                for (var left = _owner.TrainRows; left > 0; left -= _owner._batchRows)
                {
                    var rows = Math.Min(_owner._batchRows, left);
                    var values = _free.Take(_stop.Token);
                    for (var r = 0; r < rows; r++)
                    {
                        NextRow(values.AsSpan(r * width, width));
                    }

                    _ready.Add((values, rows), _stop.Token);
                }

                _pass.ReadToEnd();
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
            }
            catch (Exception e)
            {
                _error = ExceptionDispatchInfo.Capture(e);
            }
            finally
            {
                _ready.CompleteAdding();
            }
        }

        /// <summary>The next row of the shuffled order: one drawn from the buffer, whose place the next row read takes.</summary>
        private void NextRow(Span<float> destination)
        {
            while (!_exhausted && _filled < _owner._capacity)
            {
                if (!_owner.ReadRow(_pass, validation: false, Slot(_filled)))
                {
                    _exhausted = true;
                    break;
                }

                _filled++;
            }

            if (_filled == 0)
            {
                throw TooFew();
            }

            var j = _random.Next(_filled);
            Slot(j).CopyTo(destination);
            if (_exhausted || !_owner.ReadRow(_pass, validation: false, Slot(j)))
            {
                _exhausted = true;
                Slot(_filled - 1).CopyTo(Slot(j));
                _filled--;
            }
        }

        private Span<float> Slot(int i) => _buffer.AsSpan(i * _owner._width, _owner._width);
    }

    private sealed class InOrder(StreamingBatches owner, bool validation) : IBatchReader
    {
        private readonly EncodedPasses.Pass _pass = owner._passes.Open();

        public Tensor Next(int rows)
        {
            var width = owner._width;
            for (var r = 0; r < rows; r++)
            {
                if (!owner.ReadRow(_pass, validation, owner._batch.AsSpan(r * width, width)))
                {
                    throw TooFew();
                }
            }

            return owner.ToTensor(owner._batch, rows);
        }

        public void Complete() => _pass.ReadToEnd();

        public void Dispose() => _pass.Dispose();
    }
}
