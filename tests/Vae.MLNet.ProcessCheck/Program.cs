using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;
using Vae.MLNet;

// Usage:
//   Vae.MLNet.ProcessCheck <model.zip> <data.idv> <column> <output.txt>
//     Loads the model and the data (ML.NET binary format), transforms, and writes every value of <column> as the hex
//     of its bits, one row per line.
//   Vae.MLNet.ProcessCheck fit <data.idv> <model.zip> <seed> <threads> <column>...
//     Sets TorchSharp's CPU thread count, fits the options of ReproducibleFit on the data with the seed, saves the
//     model and prints the thread count in effect, so that fits in separate processes can be compared.
if (args.Length >= 6 && args[0] == "fit")
{
    var context = new MLContext(seed: 0);
    var training = context.Data.LoadFromBinary(args[1]);
    var options = ReproducibleFit.Options(int.Parse(args[3], CultureInfo.InvariantCulture), args[5..]);
    // Fit sets its own thread count for its duration; train with the one asked for.
    options.NumberOfThreads = int.Parse(args[4], CultureInfo.InvariantCulture);
    // The estimator first, as a user's program would: the library makes TorchSharp's natives loadable before its
    // first TorchSharp call.
    var estimator = context.Transforms.VariationalAutoencoder(options);
    TorchSharp.torch.set_num_threads(int.Parse(args[4], CultureInfo.InvariantCulture));
    var fitted = estimator.Fit(training);
    context.Model.Save(fitted, training.Schema, args[2]);
    Console.WriteLine($"threads={TorchSharp.torch.get_num_threads()}");
    return 0;
}

if (args.Length != 4)
{
    Console.Error.WriteLine("usage: Vae.MLNet.ProcessCheck <model.zip> <data.idv> <column> <output.txt> | fit <data.idv> <model.zip> <seed> <threads> <column>...");
    return 2;
}

var ml = new MLContext(seed: 0);
var model = ml.Model.Load(args[0], out _);
var data = ml.Data.LoadFromBinary(args[1]);
var output = model.Transform(data);
var column = output.Schema[args[2]];
using var writer = new StreamWriter(args[3]);
using var cursor = output.GetRowCursor([column]);
var getter = cursor.GetGetter<VBuffer<float>>(column);
var value = default(VBuffer<float>);
while (cursor.MoveNext())
{
    getter(ref value);
    writer.WriteLine(string.Join(' ', value.DenseValues().Select(v => BitConverter.SingleToInt32Bits(v).ToString("x8", CultureInfo.InvariantCulture))));
}

return 0;

/// <summary>The options of the cross-process determinism check; the tests fit with the same ones in process.</summary>
public static class ReproducibleFit
{
    public static VariationalAutoencoderOptions Options(int seed, IEnumerable<string> columns) => new()
    {
        Columns = columns.Select(c => new VaeColumn(c)).ToList(),
        LatentDimension = 3,
        HiddenLayers = [32, 32],
        Epochs = 3,
        BatchSize = 32,
        LearningRate = 3e-3,
        ValidationFraction = 0.2,
        Dropout = 0.1,
        Seed = seed,
    };
}
