using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Microsoft.ML;
using Microsoft.ML.Data;
using Vae.MLNet.Onnx;
using Vae.MLNet.Tests.Onnx;
using Vae.MLNet.Tests.TestData;

namespace Vae.MLNet.Tests.Reliability;

/// <summary>Random schemas (column subsets, declared kinds, vector widths, key counts), random data (NaN, infinities,
/// values near the float limits, constants, out-of-range binaries and keys, doubles beyond the float range) and
/// random options: Fit then Transform either succeeds with finite outputs, or throws one of the documented
/// exceptions, naming a column the data makes invalid whenever there is one. Cases also draw unusual text categories
/// (lone surrogates, U+0000, marks, emoji sequences, the other bucket's name) and sources that can be read only
/// once: Fit on such a source says it read other rows the second time, Transform over one serves every row the
/// outputs a list of the same rows gets, and a saved and loaded model gives the same outputs.</summary>
public sealed class RandomSchemaProperties
{
    [Property(MaxTest = 50, Arbitrary = [typeof(Cases)])]
    public void FitAndTransformSucceedWithFiniteOutputsOrThrowADocumentedException(Case c)
    {
        var ml = new MLContext(seed: c.Seed);
        var (data, invalid) = c.Build(ml);
        if (c.OneShot)
        {
            // Fit reads its data twice: a one-shot source is refused, for its column first where a value is invalid.
            var oneShot = Assert.ThrowsAny<InvalidOperationException>(() => ml.Transforms.VariationalAutoencoder(c.Options()).Fit(c.Build(ml, oneShot: true).Data));
            Assert.True(
                c.Rows == 0 ? oneShot.Message.Contains("no rows", StringComparison.Ordinal)
                : invalid.Count > 0 ? invalid.Any(name => oneShot.Message.Contains($"'{name}'", StringComparison.Ordinal))
                : oneShot.Message.Contains("second reading", StringComparison.Ordinal),
                $"{c}: one-shot fit: {oneShot.Message}");
        }

        VariationalAutoencoderTransformer model;
        try
        {
            model = ml.Transforms.VariationalAutoencoder(c.Options()).Fit(data);
        }
        catch (VaeTrainingException error)
        {
            Assert.Empty(invalid);
            Assert.Contains($"epoch {error.Epoch}", error.Message);
            return;
        }
        catch (InvalidOperationException error)
        {
            Assert.True(invalid.Count > 0 || c.Rows == 0, $"{c}: unexpected {error.Message}");
            Assert.True(c.Rows == 0 ? error.Message.Contains("no rows", StringComparison.Ordinal) : invalid.Any(name => error.Message.Contains($"'{name}'", StringComparison.Ordinal)),
                $"{c}: '{error.Message}' names none of {string.Join(", ", invalid)}");
            return;
        }

        Assert.True(invalid.Count == 0 && c.Rows > 0, $"{c}: fit accepted invalid columns {string.Join(", ", invalid)}");
        var output = model.Transform(data);
        foreach (var row in RowReader.Vectors(output, "Latent").Concat(RowReader.Vectors(output, "LogVar")))
        {
            Assert.All(row, v => Assert.True(float.IsFinite(v), $"{c}: latent {v}"));
        }

        Assert.All(RowReader.Scalars(output, "Score"), v => Assert.True(float.IsFinite(v), $"{c}: score {v}"));
        Assert.All(RowReader.Scalars(output, "Error"), v => Assert.True(float.IsFinite(v), $"{c}: error {v}"));
        if (c.AllowMissing && c.Columns.Any(col => col.Spec.Name == "A"))
        {
            // Imputed numbers are finite where the input was missing, and the input itself where it was not.
            var input = data.GetColumn<float>("A").ToArray();
            var imputed = output.GetColumn<float>("AImputed").ToArray();
            Assert.All(input.Zip(imputed), p => Assert.True(float.IsNaN(p.First) ? float.IsFinite(p.Second) : p.First.Equals(p.Second), $"{c}: A {p.First} imputed as {p.Second}"));
        }

        // Reconstructed and generated text categories are categories seen at fit.
        var seen = data.GetColumn<string>("T").Where(t => !(c.AllowMissing && t is "" or "?")).ToHashSet(StringComparer.Ordinal);
        if (c.Columns.Any(col => col.Spec.Name == "T") && seen.Count > 0)
        {
            Assert.All(output.GetColumn<string>("THat"), t => Assert.True(seen.Contains(t), $"{c}: reconstructed '{t}'"));
            Assert.All(model.Generate(50, c.Seed).GetColumn<string>("T"), t => Assert.True(seen.Contains(t), $"{c}: generated '{t}'"));
        }

        // Saved and loaded, the model gives the same outputs; over a one-shot source, every row gets them too.
        using var stream = new MemoryStream();
        ml.Model.Save(model, data.Schema, stream);
        stream.Position = 0;
        var loaded = ml.Model.Load(stream, out _);
        var again = RowReader.LatentAndScore(loaded.Transform(c.OneShot ? c.Build(ml, oneShot: true).Data : data));
        Assert.Equal(RowReader.Vectors(output, "Latent"), again.Select(r => r.Latent));
        Assert.Equal(RowReader.Scalars(output, "Score"), again.Select(r => r.Score));

        // Exported to ONNX, the pipeline computes the same outputs in ONNX Runtime; a model whose categories ONNX
        // cannot hold (lone surrogates) is not exported.
        var outputs = new[] { "Latent", "LogVar", "Score", "Error" }
            .Concat(c.Columns.Select(col => col.Spec.Name + "Hat"))
            .Concat(c.AllowMissing ? c.Columns.Select(col => col.Spec.Name + "Imputed") : []);
        if (VaeOnnxExport.CanExport(model.Inference))
        {
            OnnxAgreement.AssertAgrees(ml, model, data, outputs);
        }
        else
        {
            Assert.True(c.OddText, $"{c}: not exportable");
            Assert.ThrowsAny<InvalidOperationException>(() => OnnxAgreement.Export(ml, model, data));
        }
    }

    public static class Cases
    {
        public static Arbitrary<Case> Case() =>
            (from seed in Gen.Choose(1, 1_000_000)
             from rows in Gen.Elements(0, 1, 2, 3, 7, 20, 40)
             from columns in Gen.SubListOf(ColumnSpec.All).Where(l => l.Count > 0)
             from kinds in Gen.ArrayOf(Gen.Elements(true, false), columns.Count)
             from width in Gen.Choose(1, 4)
             from keyCount in Gen.Choose(1, 6)
             from hazard in Gen.Elements(Hazard.None, Hazard.None, Hazard.None, Hazard.NaN, Hazard.Infinity, Hazard.Huge, Hazard.FloatMax, Hazard.Constant, Hazard.OutOfRange, Hazard.BeyondFloat)
             from latent in Gen.Choose(1, 4)
             from hidden in Gen.Elements(Array.Empty<int>(), [8], [16, 8])
             from epochs in Gen.Choose(1, 2)
             from batch in Gen.Elements(1, 3, 16, 256)
             from loss in Gen.Elements(VaeNumericLoss.MeanSquaredError, VaeNumericLoss.GaussianNll)
             from reduction in Gen.Elements(VaeReconstructionReduction.Sum, VaeReconstructionReduction.ColumnMean)
             from beta in Gen.Elements(0.0, 0.5, 1.0, 4.0)
             from validation in Gen.Elements(0.0, 0.0, 0.3)
             from allowMissing in Gen.Elements(false, false, true)
             from oddText in Gen.Elements(false, true)
             from oneShot in Gen.Elements(false, false, true)
             select new Case(seed, rows, columns.Select((s, i) => (s, kinds[i])).ToArray(), width, keyCount, hazard, latent, hidden, epochs, batch, loss, reduction, beta, validation, allowMissing, oddText, oneShot))
            .ToArbitrary();
    }

    public enum Hazard
    {
        None, NaN, Infinity, Huge, FloatMax, Constant, OutOfRange, BeyondFloat,
    }

    /// <summary>A column of <see cref="Row"/>; <c>Alternative</c> is the kind declared when the case says so, instead of
    /// Auto.</summary>
    public sealed record ColumnSpec(string Name, VaeColumnKind Alternative)
    {
        public static readonly ColumnSpec[] All =
        [
            new("A", VaeColumnKind.Numeric), new("B", VaeColumnKind.Numeric), new("V", VaeColumnKind.Numeric),
            new("T", VaeColumnKind.Categorical), new("K", VaeColumnKind.Categorical), new("F", VaeColumnKind.Binary),
            new("P", VaeColumnKind.Binary), new("Q", VaeColumnKind.Binary),
        ];

        public override string ToString() => Name;
    }

    public sealed record Case(
        int Seed, int Rows, (ColumnSpec Spec, bool Declared)[] Columns, int Width, int KeyCount, Hazard Hazard,
        int Latent, int[] Hidden, int Epochs, int Batch, VaeNumericLoss NumericLoss, VaeReconstructionReduction Reduction,
        double Beta, double Validation, bool AllowMissing, bool OddText, bool OneShot)
    {
        public VariationalAutoencoderOptions Options() => new()
        {
            Columns = Columns.Select(c => new VaeColumn(c.Spec.Name, c.Declared ? c.Spec.Alternative : VaeColumnKind.Auto)).ToList(),
            LatentDimension = Latent,
            HiddenLayers = Hidden,
            Epochs = Epochs,
            BatchSize = Batch,
            NumericLoss = NumericLoss,
            Reduction = Reduction,
            Beta = Beta,
            ValidationFraction = Validation,
            LogVarianceColumnName = "LogVar",
            ScoreColumnName = "Score",
            ReconstructionErrorColumnName = "Error",
            AllowMissingValues = AllowMissing,
            ImputedColumnSuffix = AllowMissing ? "Imputed" : null,
            ReconstructedColumnSuffix = "Hat",
            Seed = Seed,
        };

        /// <summary>The data, and the columns whose values the model must reject (it is the only reason to fail).</summary>
        /// <param name="ml">The context.</param>
        /// <param name="oneShot">The same rows from a source that yields them only on its first enumeration.</param>
        public (IDataView Data, HashSet<string> Invalid) Build(MLContext ml, bool oneShot = false)
        {
            var random = new Random(Seed);
            var rows = new List<Row>();
            var hazardRow = Rows == 0 ? -1 : random.Next(Rows);
            // The hazard lands on one column, in one row (every row for Constant).
            var target = Columns[random.Next(Columns.Length)].Spec.Name;
            for (var r = 0; r < Rows; r++)
            {
                var row = new Row
                {
                    A = (float)Gaussian(random),
                    B = Gaussian(random) * 1000,
                    V = Enumerable.Range(0, Width).Select(_ => (float)Gaussian(random)).ToArray(),
                    T = random.NextDouble() < 0.1 ? string.Empty : OddText ? OddStringTests.Odd[random.Next(OddStringTests.Odd.Length)] : $"t{random.Next(4)}",
                    K = (uint)random.Next(KeyCount),
                    F = random.NextDouble() < 0.4,
                    P = (float)random.NextDouble(),
                    Q = random.Next(2),
                };
                if (r == hazardRow || Hazard == Hazard.Constant)
                {
                    Apply(row, target, random);
                }

                rows.Add(row);
            }

            var definition = SchemaDefinition.Create(typeof(Row));
            definition["V"].ColumnType = new VectorDataViewType(NumberDataViewType.Single, Width);
            definition["K"].ColumnType = new KeyDataViewType(typeof(uint), KeyCount);
            var data = ml.Data.LoadFromEnumerable(oneShot ? Sources.OneShot(rows) : rows, definition);
            var invalid = rows.Count == 0 ? [] : Columns.Where(c => rows.Any(row => IsInvalid(row, c.Spec.Name, c.Declared ? c.Spec.Alternative : VaeColumnKind.Auto)))
                .Select(c => c.Spec.Name).ToHashSet();
            return (data, invalid);
        }

        private void Apply(Row row, string column, Random random)
        {
            float Special() => Hazard switch
            {
                Hazard.NaN => float.NaN,
                Hazard.Infinity => random.Next(2) == 0 ? float.PositiveInfinity : float.NegativeInfinity,
                Hazard.Huge => random.Next(2) == 0 ? 1e30f : -1e30f,
                Hazard.FloatMax => float.MaxValue,
                Hazard.Constant => 3f,
                Hazard.OutOfRange => 1.5f,
                _ => 0f,
            };

            switch (column)
            {
                case "A": row.A = Special(); break;
                case "B": row.B = Hazard == Hazard.BeyondFloat ? 1e300 : Special(); break;
                case "V": row.V[random.Next(Width)] = Special(); break;
                case "K": row.K = Hazard == Hazard.OutOfRange ? (uint)KeyCount : row.K; break; // read as the missing key
                case "P": row.P = Hazard == Hazard.Constant ? 1f : Special(); break;
                case "Q": row.Q = Hazard == Hazard.OutOfRange ? -1 : row.Q; break;
                case "T": row.T = Hazard == Hazard.Constant ? "same" : row.T; break;
                default: break;
            }
        }

        private bool IsInvalid(Row row, string column, VaeColumnKind declared)
        {
            // With missing values allowed, NaN and the missing key are missing values, not invalid ones.
            bool NotFinite(double v) => !(AllowMissing && double.IsNaN(v)) && (!double.IsFinite(v) || Math.Abs(v) > float.MaxValue);
            return column switch
            {
                "A" => NotFinite(row.A),
                "B" => NotFinite(row.B),
                "V" => row.V.Any(v => NotFinite(v)),
                "K" => !AllowMissing && row.K >= KeyCount,
                "P" => declared == VaeColumnKind.Binary ? !(row.P >= 0 && row.P <= 1) && !(AllowMissing && float.IsNaN(row.P)) : NotFinite(row.P),
                "Q" => declared == VaeColumnKind.Binary && row.Q is < 0 or > 1,
                _ => false,
            };
        }

        public override string ToString() =>
            $"seed {Seed}, {Rows} rows, missing {(AllowMissing ? "allowed" : "rejected")}, columns [{string.Join(", ", Columns.Select(c => c.Declared ? $"{c.Spec.Name}:{c.Spec.Alternative}" : c.Spec.Name))}], width {Width}, keys {KeyCount}, {Hazard}, latent {Latent}, hidden [{string.Join(",", Hidden)}], {Epochs} epochs, batch {Batch}, {NumericLoss}, {Reduction}, beta {Beta}, validation {Validation}{(OddText ? ", odd text" : string.Empty)}{(OneShot ? ", one-shot source" : string.Empty)}";

        private static double Gaussian(Random random) => Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
    }

    public sealed class Row
    {
        public float A { get; set; }

        public double B { get; set; }

        public float[] V { get; set; } = [];

        public string T { get; set; } = string.Empty;

        public uint K { get; set; }

        public bool F { get; set; }

        public float P { get; set; }

        public int Q { get; set; }
    }
}
