using System.IO.Compression;
using Microsoft.ML;
using Vae.MLNet.Tests.TestData;
using Xunit.Abstractions;

namespace Vae.MLNet.Tests.Reliability;

/// <summary>Damaged model files beyond <see cref="Persistence.PersistenceTests"/>: every truncation of the model's own blob and
/// every sampled byte flip of the file either fails to load with a clear exception or loads a model whose outputs
/// are bit-identical to the original's; none crashes or yields a silently different model.</summary>
public sealed class PersistenceIntegrityTests(TrainedModelFixture fixture, ITestOutputHelper output) : IClassFixture<TrainedModelFixture>, IDisposable
{
    private const string Blob = "TransformerChain/Model.key";
    private readonly string _directory = Directory.CreateTempSubdirectory("vae-mlnet-integrity-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    /// <summary>ML.NET's header records the entry's extent, so a shortened entry is refused by ML.NET itself
    /// (FormatException) before the model's reader runs; a shortened content inside a consistent header is the
    /// model's own "file ends early".</summary>
    [Fact]
    public void EveryTruncationOfTheModelEntryFailsToLoad()
    {
        var path = Save();
        var blob = Entry(path);
        foreach (var length in Enumerable.Range(0, 40).Select(i => (int)((long)blob.Length * i / 40)).Append(blob.Length - 1))
        {
            var damaged = Rewrite(path, blob[..length], $"truncated-{length}.zip");
            var error = Assert.ThrowsAny<Exception>(() => fixture.Ml.Model.Load(damaged, out _));
            Assert.True(Innermost(error) is FormatException or InvalidDataException, $"length {length}: {error}");
        }
    }

    /// <summary>300 positions spread over the file, each flipped in turn. The zip container does not check the
    /// entry's CRC, so without the model's own checksum a flip in the compressed weights loads a different model.
    /// Allowed: ML.NET's FormatException (its header, tail or string table), the zip reader's InvalidDataException,
    /// end of stream in ML.NET's header, the missing or malformed loader assembly a damaged name points to (a flip in its
    /// "Culture=neutral" gives ML.NET's CultureNotFoundException), and the model's InvalidDataException; or a load with
    /// bit-identical outputs (a flip in a timestamp or padding). The compressed entries' lengths vary by a byte or two
    /// with the training history's timings, so the positions land on slightly different bytes from run to run.</summary>
    [Fact]
    public void FlippedBytesAnywhereInTheFileFailToLoadOrChangeNothing()
    {
        var path = Save();
        var bytes = File.ReadAllBytes(path);
        var expected = RowReader.Vectors(fixture.Model.Transform(fixture.Data), "Latent");
        var outcomes = new Dictionary<string, int>();
        for (var i = 0; i < 300; i++)
        {
            var position = (int)((long)bytes.Length * i / 300);
            var damaged = (byte[])bytes.Clone();
            damaged[position] ^= 0x5A;
            var file = Path.Combine(_directory, "flipped.zip");
            File.WriteAllBytes(file, damaged);
            string outcome;
            try
            {
                var loaded = fixture.Ml.Model.Load(file, out _);
                Assert.Equal(expected, RowReader.Vectors(loaded.Transform(fixture.Data), "Latent"));
                outcome = "loaded with identical outputs";
            }
            catch (Exception error) when (error is not Xunit.Sdk.XunitException)
            {
                var inner = Innermost(error);
                Assert.True(inner is FormatException or InvalidDataException or EndOfStreamException or FileNotFoundException or FileLoadException or System.Globalization.CultureNotFoundException, $"byte {position}: {error}");
                outcome = inner.GetType().Name + ": " + inner.Message;
            }

            outcomes[outcome] = outcomes.GetValueOrDefault(outcome) + 1;
        }

        output.WriteLine(string.Join("\n", outcomes.Select(p => $"{p.Value} x {p.Key}")));
        Assert.Contains(outcomes.Keys, k => k.EndsWith("its checksum does not match its content.", StringComparison.Ordinal));
    }

    private string Save()
    {
        var path = Path.Combine(_directory, "model.zip");
        fixture.Ml.Model.Save(fixture.Model, fixture.Data.Schema, path);
        return path;
    }

    private static Exception Innermost(Exception e) => e.InnerException is null ? e : Innermost(e.InnerException);

    private static byte[] Entry(string zip)
    {
        using var archive = ZipFile.OpenRead(zip);
        using var stream = archive.GetEntry(Blob)!.Open();
        using var memory = new MemoryStream();
        stream.CopyTo(memory);
        return memory.ToArray();
    }

    private string Rewrite(string zip, byte[] blob, string name)
    {
        var path = Path.Combine(_directory, name);
        File.Copy(zip, path);
        using var archive = ZipFile.Open(path, ZipArchiveMode.Update);
        archive.GetEntry(Blob)!.Delete();
        using var stream = archive.CreateEntry(Blob).Open();
        stream.Write(blob);
        return path;
    }
}
