using Microsoft.ML;
using Microsoft.ML.Data;

namespace Vae.MLNet.Tests.TestData;

/// <summary>A row of a table with a hidden cluster behind every column, and holes in some.</summary>
public sealed class IncompleteRow
{
    public float A { get; set; }

    public double B { get; set; }

    public string City { get; set; } = string.Empty;

    /// <summary>"S1" to "S3", or empty where missing: loaded as the key column "Segment" (0 where missing).</summary>
    public string SegmentName { get; set; } = string.Empty;

    [NoColumn]
    public uint Segment => SegmentName.Length == 0 ? 0 : uint.Parse(SegmentName[1..], System.Globalization.CultureInfo.InvariantCulture);

    public float Flag { get; set; }

    public int Cluster { get; set; }
}

/// <summary>Complete rows and the same rows with values hidden: NaN, "?", key 0.</summary>
public static class IncompleteTable
{
    public static readonly string[] Cities = ["Oslo", "Lima", "Pune"];

    public static (List<IncompleteRow> Complete, List<IncompleteRow> Holed) Rows(int count, double missing, int seed = 11)
    {
        var random = new Random(seed);
        var complete = new List<IncompleteRow>(count);
        var holed = new List<IncompleteRow>(count);
        for (var i = 0; i < count; i++)
        {
            var cluster = random.Next(3);
            var a = (float)((10 * cluster) + MixedTable.Gaussian(random));
            var row = new IncompleteRow
            {
                Cluster = cluster,
                A = a,
                B = (2 * a) + MixedTable.Gaussian(random),
                City = random.NextDouble() < 0.9 ? Cities[cluster] : Cities[random.Next(3)],
                SegmentName = $"S{cluster + 1}",
                Flag = random.NextDouble() < 0.9 ? (cluster == 1 ? 1f : 0f) : (cluster == 1 ? 0f : 1f),
            };
            complete.Add(row);
            holed.Add(new IncompleteRow
            {
                Cluster = cluster,
                A = random.NextDouble() < missing ? float.NaN : row.A,
                B = row.B,
                City = random.NextDouble() < missing ? "?" : row.City,
                SegmentName = random.NextDouble() < missing ? string.Empty : row.SegmentName,
                Flag = random.NextDouble() < missing ? float.NaN : row.Flag,
            });
        }

        return (complete, holed);
    }

    public static VariationalAutoencoderOptions Options() => new()
    {
        Columns = ["A", "B", "City", "Segment", new VaeColumn("Flag", VaeColumnKind.Binary)],
        LatentDimension = 2,
        HiddenLayers = [32, 32],
        Epochs = 40,
        BatchSize = 64,
        LearningRate = 3e-3,
        AllowMissingValues = true,
        ImputedColumnSuffix = "Imputed",
        ReconstructedColumnSuffix = "Rec",
        ColumnErrorsColumnName = "Errors",
        ReconstructionErrorColumnName = "Error",
        ScoreColumnName = "Score",
    };

    /// <summary>The rows as a view whose "Segment" is a key column with 3 values ("S1" to "S3"; 0 where missing).</summary>
    public static IDataView Load(MLContext ml, IEnumerable<IncompleteRow> rows)
    {
        var data = ml.Data.LoadFromEnumerable(rows);
        var keys = ml.Data.LoadFromEnumerable(new[] { "S1", "S2", "S3" }.Select(s => new KeyName { Name = s }));
        return ml.Transforms.Conversion.MapValueToKey("Segment", nameof(IncompleteRow.SegmentName), keyData: keys).Fit(data).Transform(data);
    }

    private sealed class KeyName
    {
        public string Name { get; set; } = string.Empty;
    }
}
