using Microsoft.ML;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using static TorchSharp.torch;
using static Vae.MLNet.Benchmarks.Harness;

namespace Vae.MLNet.Benchmarks;

/// <summary>The transformer against what a user would pick instead to serve a neural encoder: the same encoder
/// exported to ONNX (<c>mlContext.Model.ConvertToOnnx</c>) and run by ONNX Runtime on the same rows, in batches of
/// the transform's size, on as many threads; and the encoder's share of this machine's sgemm peak.</summary>
internal static class OnnxAnchor
{
    /// <summary>Returns the transform's rows per second over ONNX Runtime's, and the managed encoder's alone (the
    /// same batches, encoded input in memory as ONNX Runtime gets it) over ONNX Runtime's.</summary>
    public static (double Transform, double Encoder) TransformVsOnnxRuntime(Plan plan)
    {
        const int Width = 100, Latent = 8;
        var ml = new MLContext(seed: 1);
        var values = Data.Dense(plan.TransformRows, Width, seed: 11, unit: false);
        var view = ml.Data.Cache(Data.VectorView(ml, Data.ToRows(values, Width), Width));
        Scenarios.Drain(view, nameof(VectorRow.Features));
        using var vae = ml.Transforms.VariationalAutoencoder(new VariationalAutoencoderOptions
        {
            Columns = [nameof(VectorRow.Features)],
            HiddenLayers = Scenarios.TabularHidden,
            LatentDimension = Latent,
            Epochs = 1,
            Seed = 1,
        }).Fit(ml.Data.TakeRows(view, 20_000));

        using var file = new MemoryStream();
        ml.Model.ConvertToOnnx(vae, view, file);
        var threads = Threads ?? Environment.ProcessorCount;
        using var options = new SessionOptions { IntraOpNumThreads = threads, InterOpNumThreads = 1, ExecutionMode = ExecutionMode.ORT_SEQUENTIAL };
        using var session = new InferenceSession(file.ToArray(), options);
        var batch = VariationalAutoencoderTransformer.TransformBatchSize;
        double RunOnnx()
        {
            double sum = 0;
            for (var first = 0; first < plan.TransformRows; first += batch)
            {
                var rows = Math.Min(batch, plan.TransformRows - first);
                var input = new DenseTensor<float>(values.AsMemory(first * Width, rows * Width), [rows, Width]);
                using var results = session.Run([NamedOnnxValue.CreateFromTensor(nameof(VectorRow.Features), input)]);
                sum += results.First(r => r.Name == "Latent.output").AsTensor<float>().GetValue(0);
            }

            return sum;
        }

        // Alternating runs, so that a slower spell of the machine falls on both.
        Scenarios.Drain(vae.Transform(view), "Latent");
        RunOnnx();
        var vaeSeconds = new List<double>();
        var onnxSeconds = new List<double>();
        for (var i = 0; i < plan.Repetitions; i++)
        {
            vaeSeconds.AddRange(Time(0, 1, () => Scenarios.Drain(vae.Transform(view), "Latent")));
            onnxSeconds.AddRange(Time(0, 1, () => RunOnnx()));
        }

        // The managed encoder alone on the same batches of encoded rows, for the share of the sgemm peak.
        var inference = vae.Inference;
        var x = new float[batch * inference.InputWidth];
        var workspace = inference.CreateWorkspace(batch);
        var heads = new float[batch * 2 * Latent];
        var kernelSeconds = Time(1, plan.Repetitions, () =>
        {
            for (var done = 0; done < plan.TransformRows; done += batch)
            {
                inference.Encode(x, Math.Min(batch, plan.TransformRows - done), heads, workspace);
            }
        });

        var flopsPerRow = 2.0 * (inference.Weights.Encoder.Sum(l => (double)l.In * l.Out) + ((double)inference.Weights.Heads.In * inference.Weights.Heads.Out));
        var peak = SgemmPeak(plan.Repetitions);
        var vaeRate = plan.TransformRows / Median(vaeSeconds);
        var onnxRate = plan.TransformRows / Median(onnxSeconds);
        var kernelRate = plan.TransformRows / Median(kernelSeconds);
        Console.WriteLine($"  {plan.TransformRows} rows, 100 -> 64 -> 8, batches of {batch}, {threads} threads: transform (cached input, output read) {N(vaeRate)} rows/s ({F(Median(vaeSeconds), 3)} s); ONNX Runtime {OrtEnv.Instance().GetVersionString()} on the same encoder, input in memory, {N(onnxRate)} rows/s ({F(Median(onnxSeconds), 3)} s); {plan.Repetitions} runs each, medians");
        Console.WriteLine($"  the managed encoder's forward pass alone: {N(kernelRate)} rows/s, {F(kernelRate * flopsPerRow / 1e9, 1)} GFLOP/s = {F(100 * kernelRate * flopsPerRow / 1e9 / peak, 1)}% of this machine's sgemm peak ({F(peak, 1)} GFLOP/s, TorchSharp 2048 x 2048 mm, {get_num_threads()} threads); ONNX Runtime {F(100 * onnxRate * flopsPerRow / 1e9 / peak, 1)}%");
        Console.WriteLine($"result-line onnx-rows-per-s={F(onnxRate, 0)} transform-rows-per-s={F(vaeRate, 0)} encoder-gflops={F(kernelRate * flopsPerRow / 1e9, 2)} sgemm-peak-gflops={F(peak, 1)}");
        return (vaeRate / onnxRate, kernelRate / onnxRate);
    }

    /// <summary>GFLOP/s of a 2048 x 2048 single-precision matrix product in TorchSharp (libtorch's BLAS): the best of
    /// the runs.</summary>
    private static double SgemmPeak(int repetitions)
    {
        const int Size = 2048;
        using var scope = NewDisposeScope();
        var a = randn(Size, Size);
        var b = randn(Size, Size);
        var seconds = Time(2, repetitions, () => mm(a, b).Dispose());
        return 2.0 * Size * Size * Size / seconds.Min() / 1e9;
    }
}
