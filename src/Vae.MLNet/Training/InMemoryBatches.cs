using Vae.MLNet.Columns;
using static TorchSharp.torch;

namespace Vae.MLNet.Training;

/// <summary>The encoded matrix in memory, as one tensor (a view of the managed array, or the training rows copied
/// out of it when validation rows are held out). An epoch's order is a permutation drawn from the trainer's
/// generator.</summary>
internal sealed class InMemoryBatches(EncodedMatrix data) : BatchSource
{
    private Tensor? _train;
    private Tensor? _validation;

    public override int TrainRows => (int)_train!.shape[0];

    public override int ValidationRows => _validation is null ? 0 : (int)_validation.shape[0];

    /// <summary>Splits off the validation rows (a seeded shuffle) and moves both parts to the device.</summary>
    public override void Open(TrainingSettings settings, Device device)
    {
        // A view of the encoded array itself (pinned while the tensor lives): tensor(float[]) would copy it, and the
        // copy would double the memory of training for the whole fit.
        var all = from_array(data.Values).view(data.Rows, data.Width);
        var validationRows = (int)Math.Floor(data.Rows * settings.ValidationFraction);
        if (validationRows == 0 || validationRows == data.Rows)
        {
            _train = all.to(device);
            return;
        }

        var order = Enumerable.Range(0, data.Rows).ToArray();
        new Random(settings.Seed).Shuffle(order);
        using var validationIndex = tensor(order.AsSpan(0, validationRows).ToArray().Select(i => (long)i).ToArray());
        using var trainIndex = tensor(order.AsSpan(validationRows).ToArray().Select(i => (long)i).ToArray());
        _train = all.index_select(0, trainIndex).to(device);
        _validation = all.index_select(0, validationIndex).to(device);
    }

    public override IBatchReader Epoch(int epoch, Generator generator) =>
        new Permuted(_train!, randperm(_train!.shape[0], generator: generator, device: _train.device));

    public override IBatchReader Validation() => new InOrder(_validation!);

    public override IBatchReader Training() => new InOrder(_train!);

    /// <summary>Rows in the order of a permutation.</summary>
    private sealed class Permuted(Tensor rows, Tensor permutation) : IBatchReader
    {
        private long _start;

        public Tensor Next(int count)
        {
            var x = rows.index_select(0, permutation.narrow(0, _start, count));
            _start += count;
            return x;
        }

        public void Complete()
        {
        }

        public void Dispose() => permutation.Dispose();
    }

    /// <summary>Rows in their order.</summary>
    private sealed class InOrder(Tensor rows) : IBatchReader
    {
        private long _start;

        public Tensor Next(int count)
        {
            var x = rows.narrow(0, _start, count);
            _start += count;
            return x;
        }

        public void Complete()
        {
        }

        public void Dispose()
        {
        }
    }
}
