using System.Buffers.Binary;
using System.Text;
using Vae.MLNet.Native;

namespace Vae.MLNet.Tests.Native;

/// <summary>The ELF edit shared by the build step and the loader: one flag of one version-needs entry, nothing else.</summary>
public sealed class GlibcxxWeakTests
{
    [Fact]
    public void MarksOnlyTheGlibcxx3432RequirementWeak()
    {
        var original = SyntheticElf.Build(["GLIBCXX_3.4.30", "GLIBCXX_3.4.32", "CXXABI_1.3.1"], out var flagOffsets);
        var bytes = (byte[])original.Clone();

        Assert.True(GlibcxxWeak.MarkWeak(bytes));

        Assert.Equal(0x2, BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(flagOffsets[1])));
        Assert.Equal(0, BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(flagOffsets[0])));
        Assert.Equal(0, BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(flagOffsets[2])));
        var changed = Enumerable.Range(0, bytes.Length).Where(i => bytes[i] != original[i]).ToArray();
        Assert.Equal([flagOffsets[1]], changed);
    }

    [Fact]
    public void ASecondPassChangesNothing()
    {
        var bytes = SyntheticElf.Build(["GLIBCXX_3.4.32"], out _);
        Assert.True(GlibcxxWeak.MarkWeak(bytes));
        var once = (byte[])bytes.Clone();

        Assert.False(GlibcxxWeak.MarkWeak(bytes));
        Assert.Equal(once, bytes);
    }

    [Fact]
    public void ALibraryThatDoesNotAskForTheVersionIsLeftAlone()
    {
        var bytes = SyntheticElf.Build(["GLIBCXX_3.4.30", "GLIBCXX_3.4.26"], out _);
        var original = (byte[])bytes.Clone();

        Assert.False(GlibcxxWeak.MarkWeak(bytes));
        Assert.Equal(original, bytes);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(10)]
    [InlineData(200)]
    public void OtherFilesAreLeftAloneWithoutThrowing(int length)
    {
        var text = Encoding.ASCII.GetBytes(new string('x', length));
        Assert.False(GlibcxxWeak.MarkWeak(text));

        // An ELF header whose section table lies outside the file.
        var elf = SyntheticElf.Build(["GLIBCXX_3.4.32"], out _);
        BinaryPrimitives.WriteInt64LittleEndian(elf.AsSpan(0x28), elf.Length + 1000);
        var before = (byte[])elf.Clone();
        Assert.False(GlibcxxWeak.MarkWeak(elf));
        Assert.Equal(before, elf);
    }

    [Fact]
    public void TorchSharpsOwnLibraryGetsExactlyOneByteChanged()
    {
        var original = File.ReadAllBytes(TorchSharpPackage.LibTorchSharp());
        var bytes = (byte[])original.Clone();

        Assert.True(GlibcxxWeak.MarkWeak(bytes), "the package's libLibTorchSharp.so no longer asks for GLIBCXX_3.4.32 as a strong requirement");

        var changed = Enumerable.Range(0, bytes.Length).Where(i => bytes[i] != original[i]).ToArray();
        Assert.Single(changed);
        Assert.Equal(original[changed[0]] | 0x2, bytes[changed[0]]);
    }

    [Fact]
    public void DefinesFindsTheVersionStringOnlyWhole()
    {
        var folder = Directory.CreateTempSubdirectory("glibcxx-").FullName;
        try
        {
            var with = Path.Combine(folder, "with");
            var without = Path.Combine(folder, "without");
            File.WriteAllBytes(with, [1, 2, .. Encoding.ASCII.GetBytes("GLIBCXX_3.4.31\0GLIBCXX_3.4.32\0"), 3]);
            File.WriteAllBytes(without, [1, 2, .. Encoding.ASCII.GetBytes("GLIBCXX_3.4.30\0GLIBCXX_3.4.321"), 3]);

            Assert.True(GlibcxxWeak.Defines(with));
            Assert.False(GlibcxxWeak.Defines(without));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}

/// <summary>A minimal ELF64 little-endian file with a string table and a version-needs section for libstdc++.</summary>
internal static class SyntheticElf
{
    public static byte[] Build(string[] versions, out int[] flagOffsets)
    {
        var strings = new MemoryStream();
        strings.WriteByte(0);
        int Add(string s)
        {
            var at = (int)strings.Length;
            strings.Write(Encoding.ASCII.GetBytes(s + "\0"));
            return at;
        }

        var file = Add("libstdc++.so.6");
        var names = versions.Select(Add).ToArray();
        const int StringsAt = 64;
        var needsAt = StringsAt + (((int)strings.Length + 7) / 8 * 8);
        var needsSize = 16 + (16 * versions.Length);
        var headersAt = needsAt + needsSize;
        var bytes = new byte[headersAt + (3 * 64)];
        var span = bytes.AsSpan();

        // ELF header: magic, 64-bit, little-endian; section headers' offset, size and count.
        bytes[0] = 0x7f;
        bytes[1] = (byte)'E';
        bytes[2] = (byte)'L';
        bytes[3] = (byte)'F';
        bytes[4] = 2;
        bytes[5] = 1;
        bytes[6] = 1;
        BinaryPrimitives.WriteInt64LittleEndian(span[0x28..], headersAt);
        BinaryPrimitives.WriteUInt16LittleEndian(span[0x3A..], 64);
        BinaryPrimitives.WriteUInt16LittleEndian(span[0x3C..], 3);
        strings.ToArray().CopyTo(bytes, StringsAt);

        // One Elf64_Verneed (version 1, count, file, aux offset 16, next 0) and its Elf64_Vernaux entries.
        BinaryPrimitives.WriteUInt16LittleEndian(span[needsAt..], 1);
        BinaryPrimitives.WriteUInt16LittleEndian(span[(needsAt + 2)..], (ushort)versions.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(span[(needsAt + 4)..], (uint)file);
        BinaryPrimitives.WriteUInt32LittleEndian(span[(needsAt + 8)..], 16);
        flagOffsets = new int[versions.Length];
        for (var i = 0; i < versions.Length; i++)
        {
            var aux = needsAt + 16 + (16 * i);
            BinaryPrimitives.WriteUInt32LittleEndian(span[aux..], (uint)(0x1000 + i));
            flagOffsets[i] = aux + 4;
            BinaryPrimitives.WriteUInt16LittleEndian(span[(aux + 6)..], (ushort)(10 + i));
            BinaryPrimitives.WriteUInt32LittleEndian(span[(aux + 8)..], (uint)names[i]);
            BinaryPrimitives.WriteUInt32LittleEndian(span[(aux + 12)..], i + 1 < versions.Length ? 16u : 0u);
        }

        // Section 1: the string table; section 2: the version needs, linked to it.
        var strtab = headersAt + 64;
        BinaryPrimitives.WriteUInt32LittleEndian(span[(strtab + 4)..], 3);
        BinaryPrimitives.WriteInt64LittleEndian(span[(strtab + 0x18)..], StringsAt);
        BinaryPrimitives.WriteInt64LittleEndian(span[(strtab + 0x20)..], strings.Length);
        var verneed = headersAt + 128;
        BinaryPrimitives.WriteUInt32LittleEndian(span[(verneed + 4)..], 0x6ffffffe);
        BinaryPrimitives.WriteInt64LittleEndian(span[(verneed + 0x18)..], needsAt);
        BinaryPrimitives.WriteInt64LittleEndian(span[(verneed + 0x20)..], needsSize);
        BinaryPrimitives.WriteUInt32LittleEndian(span[(verneed + 0x28)..], 1);
        BinaryPrimitives.WriteUInt32LittleEndian(span[(verneed + 0x2C)..], 1);
        return bytes;
    }
}

/// <summary>TorchSharp's package in the NuGet cache (read only here).</summary>
internal static class TorchSharpPackage
{
    public static string LibTorchSharp()
    {
        var packages = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } configured
            ? configured
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        var version = typeof(TorchSharp.torch).Assembly.GetName().Version!;
        var path = Path.Combine(packages, "torchsharp", $"{version.Major}.{version.Minor}.{version.Build}", "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
        Assert.True(File.Exists(path), $"TorchSharp's package is not where restore puts it: {path}");
        return path;
    }
}
