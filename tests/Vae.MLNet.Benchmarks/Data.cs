using Microsoft.ML;
using Microsoft.ML.Data;

namespace Vae.MLNet.Benchmarks;

/// <summary>One row of a dense table: a fixed-size vector of floats.</summary>
public sealed class VectorRow
{
    public float[] Features { get; set; } = [];
}

/// <summary>One row of an Adult-shaped table: 6 numeric and 8 categorical (text) columns with 2 to 40 categories.</summary>
public sealed class AdultRow
{
    public float Age { get; set; }

    public float Fnlwgt { get; set; }

    public float EducationNum { get; set; }

    public float CapitalGain { get; set; }

    public float CapitalLoss { get; set; }

    public float HoursPerWeek { get; set; }

    public string Workclass { get; set; } = "";

    public string Education { get; set; } = "";

    public string MaritalStatus { get; set; } = "";

    public string Occupation { get; set; } = "";

    public string Relationship { get; set; } = "";

    public string Race { get; set; } = "";

    public string Sex { get; set; } = "";

    public string NativeCountry { get; set; } = "";
}

/// <summary>Synthetic tables with low-dimensional structure (a few hidden factors), made from a seed alone.</summary>
internal static class Data
{
    public static readonly string[] AdultNumeric = ["Age", "Fnlwgt", "EducationNum", "CapitalGain", "CapitalLoss", "HoursPerWeek"];

    public static readonly string[] AdultCategorical = ["Workclass", "Education", "MaritalStatus", "Occupation", "Relationship", "Race", "Sex", "NativeCountry"];

    /// <summary>Categories per categorical column, as in Adult (native country capped at 40).</summary>
    public static readonly int[] AdultCategories = [9, 16, 7, 15, 6, 5, 2, 40];

    private const int Factors = 4;

    /// <summary>A dense row-major matrix: tanh of a random projection of 4 factors plus noise, or, when
    /// <paramref name="unit"/>, a logistic of it in [0, 1] (MNIST-like intensities).</summary>
    public static float[] Dense(int rows, int width, int seed, bool unit)
    {
        var values = new float[(long)rows * width];
        var projection = Projection(width, seed);
        var z = new double[Factors];
        var random = new Random(seed + 1);
        for (var r = 0; r < rows; r++)
        {
            FillRow(values.AsSpan(r * width, width), projection, z, random, unit);
        }

        return values;
    }

    /// <summary>The rows of <see cref="Dense"/> one by one, generated while read (for tables larger than memory
    /// should hold twice); the same sequence on every enumeration.</summary>
    public static IEnumerable<VectorRow> DenseRows(int rows, int width, int seed, bool unit)
    {
        var projection = Projection(width, seed);
        var z = new double[Factors];
        var random = new Random(seed + 1);
        for (var r = 0; r < rows; r++)
        {
            var row = new float[width];
            FillRow(row, projection, z, random, unit);
            yield return new VectorRow { Features = row };
        }
    }

    public static List<VectorRow> ToRows(float[] values, int width)
    {
        var rows = new List<VectorRow>(values.Length / width);
        for (var i = 0; i < values.Length; i += width)
        {
            rows.Add(new VectorRow { Features = values.AsSpan(i, width).ToArray() });
        }

        return rows;
    }

    public static IDataView VectorView(MLContext ml, IEnumerable<VectorRow> rows, int width)
    {
        var schema = SchemaDefinition.Create(typeof(VectorRow));
        schema[nameof(VectorRow.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, width);
        return ml.Data.LoadFromEnumerable(rows, schema);
    }

    /// <summary>Adult-shaped rows: every column depends on two hidden factors.</summary>
    public static IEnumerable<AdultRow> AdultRows(int rows, int seed)
    {
        var random = new Random(seed);
        for (var r = 0; r < rows; r++)
        {
            var a = Gaussian(random);
            var b = Gaussian(random);
            string Category(int column, double factor)
            {
                var count = AdultCategories[column];
                var u = 1 / (1 + Math.Exp(-(factor + (0.7 * Gaussian(random)))));
                return AdultCategorical[column] + "_" + Math.Min(count - 1, (int)(u * count));
            }

            yield return new AdultRow
            {
                Age = (float)(38 + (13 * (0.8 * a + 0.6 * Gaussian(random)))),
                Fnlwgt = (float)(190_000 + (100_000 * Gaussian(random))),
                EducationNum = (float)(10 + (2.5 * (0.7 * b + 0.7 * Gaussian(random)))),
                CapitalGain = random.NextDouble() < 0.08 ? (float)(5000 * Math.Exp(b + Gaussian(random))) : 0,
                CapitalLoss = random.NextDouble() < 0.05 ? (float)(1800 + (400 * Gaussian(random))) : 0,
                HoursPerWeek = (float)(40 + (12 * (0.5 * a + 0.5 * b + 0.7 * Gaussian(random)))),
                Workclass = Category(0, 0.5 * a),
                Education = Category(1, b),
                MaritalStatus = Category(2, a),
                Occupation = Category(3, b - (0.5 * a)),
                Relationship = Category(4, a + b),
                Race = Category(5, 0.2 * a),
                Sex = Category(6, 0.5 * b),
                NativeCountry = Category(7, 0.3 * (a - b)),
            };
        }
    }

    private static double[] Projection(int width, int seed)
    {
        var random = new Random(seed);
        var projection = new double[width * Factors];
        for (var i = 0; i < projection.Length; i++)
        {
            projection[i] = 1.5 * Gaussian(random) / Math.Sqrt(Factors);
        }

        return projection;
    }

    private static void FillRow(Span<float> row, double[] projection, double[] z, Random random, bool unit)
    {
        for (var k = 0; k < z.Length; k++)
        {
            z[k] = Gaussian(random);
        }

        for (var j = 0; j < row.Length; j++)
        {
            var s = 0.0;
            for (var k = 0; k < z.Length; k++)
            {
                s += projection[(j * z.Length) + k] * z[k];
            }

            s += 0.1 * (random.NextDouble() - 0.5);
            row[j] = unit ? (float)(1 / (1 + Math.Exp(-2 * s))) : (float)Math.Tanh(s);
        }
    }

    private static double Gaussian(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}
