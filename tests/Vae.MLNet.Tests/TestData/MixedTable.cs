using Microsoft.ML;
using Microsoft.ML.Data;

namespace Vae.MLNet.Tests.TestData;

/// <summary>A row of the synthetic mixed table: numbers, a text category and a flag, all driven by a hidden cluster.</summary>
public sealed class MixedRow
{
    public float Income { get; set; }

    public double Age { get; set; }

    [VectorType(3)]
    public float[] Scores { get; set; } = new float[3];

    public string City { get; set; } = string.Empty;

    public bool Member { get; set; }

    public int Cluster { get; set; }
}

/// <summary>Generates tables with a known hidden structure, so tests can say what a good model must recover.</summary>
public static class MixedTable
{
    public static readonly string[] Cities = ["Oslo", "Lima", "Pune", "Kobe", "Nice", "Yola"];

    public static List<MixedRow> Rows(int count, int seed = 7, int clusters = 3)
    {
        var random = new Random(seed);
        var rows = new List<MixedRow>(count);
        for (var i = 0; i < count; i++)
        {
            var cluster = random.Next(clusters);
            rows.Add(new MixedRow
            {
                Cluster = cluster,
                Income = (float)((cluster * 20_000) + 30_000 + (Gaussian(random) * 3_000)),
                Age = 25 + (cluster * 15) + (Gaussian(random) * 2),
                Scores = [(float)(cluster + (Gaussian(random) * 0.2)), (float)(-cluster + (Gaussian(random) * 0.2)), (float)Gaussian(random)],
                City = random.NextDouble() < 0.85 ? Cities[(cluster * 2) + random.Next(2)] : Cities[random.Next(Cities.Length)],
                Member = random.NextDouble() < (cluster == 1 ? 0.9 : 0.1),
            });
        }

        return rows;
    }

    public static IDataView Load(MLContext ml, int count, int seed = 7) => ml.Data.LoadFromEnumerable(Rows(count, seed));

    public static double Gaussian(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}
