using Vae.MLNet.Columns;
using Vae.MLNet.Model;
using Vae.MLNet.Objective;
using static TorchSharp.torch;

namespace Vae.MLNet.Tests.Model;

public sealed class InferenceTests
{
    [Theory]
    [InlineData(VaeActivation.Relu)]
    [InlineData(VaeActivation.LeakyRelu)]
    [InlineData(VaeActivation.Elu)]
    [InlineData(VaeActivation.Silu)]
    [InlineData(VaeActivation.Tanh)]
    public void ManagedInferenceMatchesTheTorchNetwork(VaeActivation activation)
    {
        random.manual_seed(2);
        using var network = new VaeNetwork(13, [24, 16], 3, activation, 0, 0);
        network.eval();
        var weights = network.ExportWeights(null);
        var encoding = new ColumnEncoding([
            new EncodedColumn("x", VaeColumnKind.Numeric, 1, new SourceType(ItemKind.Single, default, 0, 13), 0, 13, new float[13], Enumerable.Repeat(1f, 13).ToArray(), []),
        ]);
        var inference = new VaeInference(weights, encoding, VaeReconstructionReduction.Sum);
        using var x = randn(37, 13);
        var input = x.data<float>().ToArray();

        var heads = new float[37 * 6];
        var decoded = new float[37 * 13];
        var workspace = inference.CreateWorkspace(37);
        inference.Encode(input, 37, heads, workspace);
        inference.Decode(heads, 6, 37, decoded, workspace);

        using var _ = no_grad();
        var (mu, logVar) = network.Encode(x);
        using var output = network.Decode(mu);
        var expectedMu = mu.data<float>().ToArray();
        var expectedLogVar = logVar.data<float>().ToArray();
        var expectedOutput = output.data<float>().ToArray();
        for (var r = 0; r < 37; r++)
        {
            for (var j = 0; j < 3; j++)
            {
                Assert.Equal(expectedMu[(r * 3) + j], heads[(r * 6) + j], 1e-4f);
                Assert.Equal(expectedLogVar[(r * 3) + j], heads[(r * 6) + 3 + j], 1e-4f);
            }
        }

        for (var i = 0; i < expectedOutput.Length; i++)
        {
            Assert.Equal(expectedOutput[i], decoded[i], 1e-4f);
        }

        mu.Dispose();
        logVar.Dispose();
    }

    [Fact]
    public void ARowGivesBitIdenticalResultsAloneAndInAnyBatch()
    {
        random.manual_seed(4);
        using var network = new VaeNetwork(101, [64, 32], 5, VaeActivation.Relu, 0, 0);
        var weights = network.ExportWeights(null);
        var encoding = new ColumnEncoding([
            new EncodedColumn("x", VaeColumnKind.Numeric, 1, new SourceType(ItemKind.Single, default, 0, 101), 0, 101, new float[101], Enumerable.Repeat(1f, 101).ToArray(), []),
        ]);
        var inference = new VaeInference(weights, encoding, VaeReconstructionReduction.Sum);
        const int Rows = 2003; // large enough to run in parallel, not a multiple of the row block
        var rng = new Random(3);
        var input = Enumerable.Range(0, Rows * 101).Select(_ => (float)rng.NextDouble() - 0.5f).ToArray();
        var batch = new float[Rows * 10];
        inference.Encode(input, Rows, batch, inference.CreateWorkspace(Rows));

        var single = new float[10];
        var workspace = inference.CreateWorkspace(1);
        foreach (var r in new[] { 0, 1, 3, 4, 1000, Rows - 1 })
        {
            inference.Encode(input.AsSpan(r * 101, 101), 1, single, workspace);
            Assert.Equal(batch.AsSpan(r * 10, 10).ToArray(), single);
        }
    }

    [Fact]
    public void WideLayersMatchTheTorchNetworkAndDecodeRowsAloneBitIdentically()
    {
        // 160 and 96 outputs run the 32-wide blocks (512-bit where the processor has them), then a 16- or 8-wide one.
        random.manual_seed(6);
        using var network = new VaeNetwork(101, [160, 96], 7, VaeActivation.LeakyRelu, 0, 0);
        network.eval();
        var weights = network.ExportWeights(null);
        var encoding = new ColumnEncoding([
            new EncodedColumn("x", VaeColumnKind.Numeric, 1, new SourceType(ItemKind.Single, default, 0, 101), 0, 101, new float[101], Enumerable.Repeat(1f, 101).ToArray(), []),
        ]);
        var inference = new VaeInference(weights, encoding, VaeReconstructionReduction.Sum);
        const int Rows = 1031;
        using var x = randn(Rows, 101);
        var input = x.data<float>().ToArray();
        var heads = new float[Rows * 14];
        var decoded = new float[Rows * 101];
        var workspace = inference.CreateWorkspace(Rows);
        inference.Encode(input, Rows, heads, workspace);
        inference.Decode(heads, 14, Rows, decoded, workspace);

        using (no_grad())
        {
            var (mu, logVar) = network.Encode(x);
            using var output = network.Decode(mu);
            var expectedMu = mu.data<float>().ToArray();
            var expectedOutput = output.data<float>().ToArray();
            for (var r = 0; r < Rows; r += 7)
            {
                for (var j = 0; j < 7; j++)
                {
                    Assert.Equal(expectedMu[(r * 7) + j], heads[(r * 14) + j], 1e-4f);
                }

                for (var i = 0; i < 101; i++)
                {
                    Assert.Equal(expectedOutput[(r * 101) + i], decoded[(r * 101) + i], 1e-4f);
                }
            }

            mu.Dispose();
            logVar.Dispose();
        }

        var single = new float[101];
        var one = inference.CreateWorkspace(1);
        foreach (var r in new[] { 0, 2, 5, 512, Rows - 1 })
        {
            inference.Decode(heads.AsSpan(r * 14), 14, 1, single, one, parallel: false);
            Assert.Equal(decoded.AsSpan(r * 101, 101).ToArray(), single);
        }
    }

    [Fact]
    public void ScoresMatchTheTrainingObjectivePerRow()
    {
        var encoding = new ColumnEncoding([
            new EncodedColumn("n", VaeColumnKind.Numeric, 2, new SourceType(ItemKind.Single, default, 0, 0), 0, 1, [0f], [1f], []),
            Objective.VaeObjectiveTests.Categorical("c", 1, 3),
            new EncodedColumn("b", VaeColumnKind.Binary, 1, new SourceType(ItemKind.Boolean, default, 0, 0), 4, 1, [], [], []),
        ]);
        random.manual_seed(8);
        using var network = new VaeNetwork(5, [8], 2, VaeActivation.Tanh, 0, 0);
        var inference = new VaeInference(network.ExportWeights(null), encoding, VaeReconstructionReduction.Sum);
        var x = new float[] { 0.3f, 0, 1, 0, 1 };
        var heads = new float[4];
        var decoded = new float[5];
        var workspace = inference.CreateWorkspace(1);
        inference.Encode(x, 1, heads, workspace);
        inference.Decode(heads, 4, 1, decoded, workspace);
        var reconstruction = new float[3];
        var kl = new float[1];
        inference.Score(x, heads, decoded, 1, reconstruction, kl, workspace);

        using var layout = new LossLayout(encoding, VaeReconstructionReduction.Sum, CPU);
        using var target = tensor(x, [1, 5]);
        using var output = tensor(decoded, [1, 5]);
        using var mu = tensor(heads.AsSpan(0, 2).ToArray(), [1, 2]);
        using var logVar = tensor(heads.AsSpan(2, 2).ToArray(), [1, 2]);
        var parts = VaeObjective.Compute(output, target, mu, logVar, layout, 1, 0);
        var expected = parts.Reconstruction.data<float>().ToArray();
        for (var c = 0; c < 3; c++)
        {
            Assert.Equal(expected[c], reconstruction[c], 1e-4f);
        }

        Assert.Equal(parts.Kl.sum().item<float>(), kl[0], 1e-4f);
    }
}
