// ONNX export: fit the autoencoder on a table of numbers, text, a flag and holes, export the fitted pipeline with
// mlContext.Model.ConvertToOnnx, then score the file from a separate process that uses ONNX Runtime alone (no
// ML.NET, no TorchSharp: what a Spark executor, a batch endpoint or a service in another language would run), and
// compare its outputs with the transformer's on the same rows, unseen cities and missing values included.
//
//   dotnet run -c Release --project examples/OnnxExport [-- --rows N] [--epochs N] [--out folder]
//   dotnet run -c Release --project examples/OnnxExport -- score <folder>    (the scoring process alone)
//
// Writes <out>/vae.onnx, <out>/rows.csv (the rows to score) and <out>/onnx.csv (what ONNX Runtime computed).
// Last line of the default run:
//   onnx-export: rows=1000 file-kb=42 latent-max-diff=0 score-max-rel-diff=2.3E-07 imputed-max-diff=9.4E-08 cities-equal=100.00% flags-equal=100.00%
using System.Diagnostics;
using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Vae.MLNet;

CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;

if (args.Length == 2 && args[0] == "score")
{
    Scoring.Run(args[1]);
    return 0;
}

int rows, epochs;
string output;
try
{
    var options = ExampleArgs.Parse(args);
    rows = options.Int("--rows", 1000);
    epochs = options.Int("--epochs", 20);
    output = options.String("--out", ".");
    options.RejectUnknown();
}
catch (ArgumentException e)
{
    Console.Error.WriteLine($"{e.Message}\nusage: OnnxExport [--rows N] [--epochs N] [--out folder] | OnnxExport score <folder>");
    return 2;
}

Directory.CreateDirectory(output);
var ml = new MLContext(seed: 1);
var model = ml.Transforms.VariationalAutoencoder(new VariationalAutoencoderOptions
{
    Columns = ["Age", "Income", "Visits", "City", "Member"],
    LatentDimension = 3,
    HiddenLayers = [32, 16],
    Epochs = epochs,
    AllowMissingValues = true,
    ScoreColumnName = "Score",
    ImputedColumnSuffix = "Imputed",
    ReconstructedColumnSuffix = "Rec",
}).Fit(ml.Data.LoadFromEnumerable(Table.Rows(5000, seed: 1)));

// The file: ML.NET walks the pipeline and asks each step to write itself; the autoencoder writes its encoder,
// decoder, score and decoded columns.
var path = Path.Combine(output, "vae.onnx");
var test = Table.Rows(rows, seed: 2, unseen: true);
var data = ml.Data.LoadFromEnumerable(test);
using (var file = File.Create(path))
{
    ml.Model.ConvertToOnnx(model, data, file);
}

Table.Write(Path.Combine(output, "rows.csv"), test);

// Score the file in another process, as a consumer of the file would.
var self = Environment.ProcessPath!;
var info = new ProcessStartInfo(self) { RedirectStandardOutput = true, UseShellExecute = false };
if (Path.GetFileNameWithoutExtension(self) == "dotnet")
{
    info.ArgumentList.Add(typeof(Table).Assembly.Location);
}

info.ArgumentList.Add("score");
info.ArgumentList.Add(output);
using (var child = Process.Start(info)!)
{
    Console.Write(child.StandardOutput.ReadToEnd());
    child.WaitForExit();
    if (child.ExitCode != 0)
    {
        Console.Error.WriteLine($"the scoring process failed ({child.ExitCode})");
        return 1;
    }
}

// Agreement, row by row: the transformer here, ONNX Runtime there.
var managed = ml.Data.CreateEnumerable<Scored>(model.Transform(data), reuseRowObject: false).ToList();
var onnx = File.ReadAllLines(Path.Combine(output, "onnx.csv")).Skip(1).Select(l => l.Split(',')).ToList();
double latentDiff = 0, scoreDiff = 0, imputedDiff = 0;
int cities = 0, flags = 0;
for (var r = 0; r < managed.Count; r++)
{
    var m = managed[r];
    var o = onnx[r];
    for (var j = 0; j < m.Latent.Length; j++)
    {
        latentDiff = Math.Max(latentDiff, Math.Abs(m.Latent[j] - float.Parse(o[j])));
    }

    scoreDiff = Math.Max(scoreDiff, Math.Abs(m.Score - float.Parse(o[3])) / Math.Max(1, Math.Abs(m.Score)));
    imputedDiff = Math.Max(imputedDiff, Math.Abs(m.AgeImputed - float.Parse(o[4])) / Math.Max(1, Math.Abs(m.AgeImputed)));
    cities += m.CityRec == o[5] ? 1 : 0;
    flags += m.MemberRec == bool.Parse(o[6]) ? 1 : 0;
}

Console.WriteLine($"{managed.Count} rows ({test.Count(t => float.IsNaN(t.Age))} ages missing, {test.Count(t => !Table.Cities.Contains(t.City))} cities unseen or missing): transformer vs ONNX Runtime in another process");
Console.WriteLine($"  latent mean: largest difference {latentDiff:G2}; score: largest relative difference {scoreDiff:G2}; imputed age: {imputedDiff:G2}");
Console.WriteLine($"  reconstructed city equal in {100.0 * cities / managed.Count:F2}% of rows, reconstructed flag in {100.0 * flags / managed.Count:F2}%");
Console.WriteLine($"onnx-export: rows={managed.Count} file-kb={new FileInfo(path).Length / 1024} latent-max-diff={latentDiff:G2} score-max-rel-diff={scoreDiff:G2} imputed-max-diff={imputedDiff:G2} cities-equal={100.0 * cities / managed.Count:F2}% flags-equal={100.0 * flags / managed.Count:F2}%");
return 0;

/// <summary>The scoring process: the file and the rows in, ONNX Runtime's outputs out. Nothing of ML.NET.</summary>
internal static class Scoring
{
    public static void Run(string folder)
    {
        using var session = new InferenceSession(Path.Combine(folder, "vae.onnx"));
        var lines = File.ReadAllLines(Path.Combine(folder, "rows.csv"));
        var header = lines[0].Split(',');
        var cells = lines.Skip(1).Select(l => l.Split(',')).ToArray();
        int Column(string name) => Array.IndexOf(header, name);
        DenseTensor<T> Tensor<T>(string name, Func<string, T> parse) =>
            new(cells.Select(c => parse(c[Column(name)])).ToArray(), [cells.Length, 1]);

        // One input per column of the table, each [rows, 1] of the column's type.
        var inputs = new List<NamedOnnxValue>
        {
            NamedOnnxValue.CreateFromTensor("Age", Tensor("Age", float.Parse)),
            NamedOnnxValue.CreateFromTensor("Income", Tensor("Income", double.Parse)),
            NamedOnnxValue.CreateFromTensor("Visits", Tensor("Visits", int.Parse)),
            NamedOnnxValue.CreateFromTensor("City", Tensor("City", s => s)),
            NamedOnnxValue.CreateFromTensor("Member", Tensor("Member", bool.Parse)),
        };
        using var results = session.Run(inputs, ["Latent.output", "Score.output", "AgeImputed.output", "CityRec.output", "MemberRec.output"]);
        var latent = results[0].AsTensor<float>();
        var score = results[1].AsTensor<float>();
        var age = results[2].AsTensor<float>();
        var city = results[3].AsTensor<string>();
        var member = results[4].AsTensor<bool>();
        using var writer = new StreamWriter(Path.Combine(folder, "onnx.csv"));
        writer.WriteLine("z0,z1,z2,Score,AgeImputed,CityRec,MemberRec");
        for (var r = 0; r < cells.Length; r++)
        {
            writer.WriteLine(string.Join(',', latent[r, 0].ToString("R"), latent[r, 1].ToString("R"), latent[r, 2].ToString("R"), score[r, 0].ToString("R"), age[r, 0].ToString("R"), city[r, 0], member[r, 0]));
        }

        Console.WriteLine($"scored {cells.Length} rows with ONNX Runtime {OrtEnv.Instance().GetVersionString()} in process {Environment.ProcessId}: inputs {string.Join(", ", session.InputMetadata.Keys)}");
    }
}

/// <summary>A customer: age (missing as NaN), income, visits, city ("?" when missing), membership.</summary>
internal sealed class Customer
{
    public float Age { get; set; }

    public double Income { get; set; }

    public int Visits { get; set; }

    public string City { get; set; } = string.Empty;

    public bool Member { get; set; }
}

internal sealed class Scored
{
    public float[] Latent { get; set; } = [];

    public float Score { get; set; }

    public float AgeImputed { get; set; }

    public string CityRec { get; set; } = string.Empty;

    public bool MemberRec { get; set; }
}

internal static class Table
{
    public static readonly string[] Cities = ["Oslo", "Lima", "Pune", "Kobe"];

    /// <summary>Customers of three segments; a tenth of the ages missing; with <paramref name="unseen"/>, some cities
    /// the model never saw and some missing.</summary>
    public static List<Customer> Rows(int count, int seed, bool unseen = false)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(_ =>
        {
            var segment = random.Next(3);
            var age = 25 + (15 * segment) + (4 * Gaussian(random));
            return new Customer
            {
                Age = random.NextDouble() < 0.1 ? float.NaN : (float)age,
                Income = 20_000 + (900 * age) + (5_000 * Gaussian(random)),
                Visits = Math.Max(0, (int)Math.Round((3 * segment) + 2 + Gaussian(random))),
                City = unseen && random.NextDouble() < 0.05 ? (random.Next(2) == 0 ? "Rome" : "?") : Cities[Math.Min(3, segment + random.Next(2))],
                Member = random.NextDouble() < (segment == 2 ? 0.8 : 0.2),
            };
        }).ToList();
    }

    public static void Write(string path, IEnumerable<Customer> rows)
    {
        using var writer = new StreamWriter(path);
        writer.WriteLine("Age,Income,Visits,City,Member");
        foreach (var row in rows)
        {
            writer.WriteLine(string.Join(',', row.Age.ToString("R"), row.Income.ToString("R"), row.Visits, row.City, row.Member));
        }
    }

    private static double Gaussian(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}
