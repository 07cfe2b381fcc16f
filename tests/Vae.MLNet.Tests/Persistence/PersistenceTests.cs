using System.Diagnostics;
using Microsoft.ML;
using Microsoft.ML.Data;
using Vae.MLNet.Tests.TestData;

namespace Vae.MLNet.Tests.Persistence;

public sealed class PersistenceTests(TrainedModelFixture fixture) : IClassFixture<TrainedModelFixture>, IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("vae-mlnet-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void AChainSurvivesSaveAndLoadWithIdenticalValuesForAllEvenAndOddColumns()
    {
        var ml = fixture.Ml;
        var chain = ml.Transforms.CopyColumns("IncomeCopy", "Income").Append(ml.Transforms.VariationalAutoencoder(TrainedModelFixture.Options())).Fit(fixture.Data);
        var path = Path.Combine(_directory, "model.zip");
        ml.Model.Save(chain, fixture.Data.Schema, path);
        var loaded = new MLContext(seed: 99).Model.Load(path, out var inputSchema);
        Assert.Equal(fixture.Data.Schema.Select(c => (c.Name, c.Type)), inputSchema.Select(c => (c.Name, c.Type)));

        var before = chain.Transform(fixture.Data);
        var after = loaded.Transform(fixture.Data);
        Assert.Equal(before.Schema.Select(c => (c.Name, c.Type)), after.Schema.Select(c => (c.Name, c.Type)));
        ColumnDump.AssertSame(before, after);

        var trained = chain.OfType<VariationalAutoencoderTransformer>().Single();
        var reloaded = ((TransformerChain<ITransformer>)loaded).OfType<VariationalAutoencoderTransformer>().Single();
        Assert.Equal(trained.TrainingHistory.Select(h => h.ToString()), reloaded.TrainingHistory.Select(h => h.ToString()));
        Assert.Equal(trained.TrainingHistory.Select(h => h.KlByDimension), reloaded.TrainingHistory.Select(h => h.KlByDimension));
    }

    [Fact]
    public void ALoadedModelRejectsDataWithAMissingOrRetypedColumn()
    {
        var path = Path.Combine(_directory, "model.zip");
        fixture.Ml.Model.Save(fixture.Model, fixture.Data.Schema, path);
        var loaded = fixture.Ml.Model.Load(path, out _);
        var withoutCity = fixture.Ml.Transforms.DropColumns("City").Fit(fixture.Data).Transform(fixture.Data);
        var missing = Assert.Throws<ArgumentOutOfRangeException>(() => loaded.Transform(withoutCity));
        Assert.Contains("'City'", missing.Message);
        var retyped = fixture.Ml.Transforms.Conversion.ConvertType("Age", "Age", DataKind.Single).Fit(fixture.Data).Transform(fixture.Data);
        var changed = Assert.Throws<ArgumentOutOfRangeException>(() => loaded.GetOutputSchema(retyped.Schema));
        Assert.Contains("'Age'", changed.Message);
    }

    [Fact]
    public void SaveLoadSaveGivesTheSameModelBytes()
    {
        var first = Path.Combine(_directory, "first.zip");
        var second = Path.Combine(_directory, "second.zip");
        fixture.Ml.Model.Save(fixture.Model, fixture.Data.Schema, first);
        var loaded = fixture.Ml.Model.Load(first, out var schema);
        fixture.Ml.Model.Save(loaded, schema, second);
        const string Blob = "TransformerChain/Model.key"; // a single transformer is saved as the model itself
        Assert.Equal(Entry(first, Blob), Entry(second, Blob));
    }

    [Fact]
    public void AFreshProcessLoadsTheModelWithoutRegistrationAndGetsIdenticalOutputs()
    {
        var model = Path.Combine(_directory, "model.zip");
        var data = Path.Combine(_directory, "data.idv");
        var output = Path.Combine(_directory, "latent.txt");
        fixture.Ml.Model.Save(fixture.Model, fixture.Data.Schema, model);
        using (var stream = File.Create(data))
        {
            fixture.Ml.Data.SaveAsBinary(fixture.Data, stream);
        }

        var configuration = new DirectoryInfo(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory)).Parent!.Name;
        var program = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", "Vae.MLNet.ProcessCheck", "bin", configuration, "net10.0", "Vae.MLNet.ProcessCheck.dll"));
        Assert.True(File.Exists(program), program);
        using var process = Process.Start(new ProcessStartInfo("dotnet", [program, model, data, "Latent", output]) { RedirectStandardError = true })!;
        var errors = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, errors);

        var expected = RowReader.Vectors(fixture.Model.Transform(fixture.Data), "Latent")
            .Select(row => string.Join(' ', row.Select(v => BitConverter.SingleToInt32Bits(v).ToString("x8"))));
        Assert.Equal(expected, File.ReadAllLines(output));
    }

    [Fact]
    public void ATruncatedOrCorruptedModelFileGivesAClearException()
    {
        var path = Path.Combine(_directory, "model.zip");
        fixture.Ml.Model.Save(fixture.Model, fixture.Data.Schema, path);
        var bytes = File.ReadAllBytes(path);
        var truncated = Path.Combine(_directory, "truncated.zip");
        File.WriteAllBytes(truncated, bytes[..(bytes.Length / 2)]);
        Assert.Throws<FormatException>(() => fixture.Ml.Model.Load(truncated, out _)); // ML.NET: "Failed to open a zip archive"

        // Damage the model blob itself inside an otherwise valid archive: ML.NET's header still reads, ours does not.
        var damaged = Path.Combine(_directory, "damaged.zip");
        File.Copy(path, damaged);
        using (var archive = System.IO.Compression.ZipFile.Open(damaged, System.IO.Compression.ZipArchiveMode.Update))
        {
            var entry = archive.Entries.Single(e => e.FullName == "TransformerChain/Model.key");
            var blob = Entry(path, entry.FullName);
            // The first output column's name, "Latent", as ModelWriter writes it: its length, then UTF-16 code units.
            byte[] marker = [6, 0, 0, 0, .. System.Text.Encoding.Unicode.GetBytes("Latent")];
            var at = blob.AsSpan().IndexOf(marker);
            Assert.True(at > 0);
            blob[at + 4] = (byte)'l';
            entry.Delete();
            using var stream = archive.CreateEntry(entry.FullName).Open();
            stream.Write(blob);
        }

        var error = Assert.ThrowsAny<Exception>(() => fixture.Ml.Model.Load(damaged, out _));
        Assert.Contains("corrupt or incompatible: its checksum does not match its content", Flatten(error));
    }

    private static string Flatten(Exception e) => e.InnerException is null ? e.Message : e.Message + " | " + Flatten(e.InnerException);

    private static byte[] Entry(string zip, string name)
    {
        using var archive = System.IO.Compression.ZipFile.OpenRead(zip);
        var entry = archive.Entries.SingleOrDefault(e => e.FullName == name) ?? throw new InvalidOperationException(string.Join(", ", archive.Entries.Select(e => e.FullName)));
        using var stream = entry.Open();
        using var memory = new MemoryStream();
        stream.CopyTo(memory);
        return memory.ToArray();
    }
}
