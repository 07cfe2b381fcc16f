// The one implementation of the libLibTorchSharp fix. It is compiled into the library (LibTorchSharpLoader applies
// it when TorchSharp first loads) and, through buildTransitive/Vae.MLNet.targets, into the MSBuild task that applies
// it to the copies in a project's build and publish output. It therefore uses only APIs that both have.
#nullable enable
using System;
using System.IO;
using System.Text;

namespace Vae.MLNet.Native
{
    /// <summary>
    /// TorchSharp 0.107's native glue library (libLibTorchSharp.so) is built with GCC 13 and asks for the symbol
    /// version GLIBCXX_3.4.32, which the libstdc++ of Debian 12 and Ubuntu 22.04 lacks, so it does not load there. It
    /// names that version for one marker symbol only (std::ios_base_library_init), which nothing calls. Setting
    /// VER_FLG_WEAK on that entry of the .gnu.version_r section lets the loader go on; where libstdc++ has the version
    /// the flag changes nothing.
    /// </summary>
    internal static class GlibcxxWeak
    {
        /// <summary>The symbol version libLibTorchSharp.so asks for.</summary>
        public const string Version = "GLIBCXX_3.4.32";

        private const uint ShtGnuVerneed = 0x6ffffffe;
        private const ushort VerFlgWeak = 0x2;

        /// <summary>Where Linux distributions keep libstdc++.so.6.</summary>
        public static readonly string[] LibStdCxxFolders = new[]
        {
            "/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib/aarch64-linux-gnu", "/usr/lib/aarch64-linux-gnu",
            "/usr/lib64", "/lib64", "/usr/lib",
        };

        /// <summary>Whether the file (a libstdc++) defines <see cref="Version"/>.</summary>
        public static bool Defines(string libStdCxx)
        {
            var needle = Encoding.ASCII.GetBytes(Version + "\0");
            var bytes = File.ReadAllBytes(libStdCxx);
            for (var i = 0; i + needle.Length <= bytes.Length; i++)
            {
                var j = 0;
                while (j < needle.Length && bytes[i + j] == needle[j])
                {
                    j++;
                }

                if (j == needle.Length)
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>The first libstdc++.so.6 of <paramref name="folders"/>, or null.</summary>
        public static string? FindLibStdCxx(string[] folders)
        {
            foreach (var folder in folders)
            {
                var path = Path.Combine(folder, "libstdc++.so.6");
                if (File.Exists(path))
                {
                    return path;
                }
            }

            return null;
        }

        /// <summary>
        /// Sets VER_FLG_WEAK on every requirement of <see cref="Version"/> in the version-needs section of an ELF64
        /// little-endian shared library (x64 and arm64 Linux). Returns whether anything changed: false for any other
        /// file, a library that does not ask for the version, or one already marked.
        /// </summary>
        public static bool MarkWeak(byte[] bytes)
        {
            if (bytes.Length < 64 || bytes[0] != 0x7f || bytes[1] != (byte)'E' || bytes[2] != (byte)'L' || bytes[3] != (byte)'F'
                || bytes[4] != 2 || bytes[5] != 1)
            {
                return false;
            }

            try
            {
                return MarkWeakInElf64(bytes);
            }
            catch (ArgumentException)
            {
                return false; // Offsets outside the file: not a library this can read; left as it is.
            }
        }

        private static bool MarkWeakInElf64(byte[] bytes)
        {
            var sectionHeaders = Offset(BitConverter.ToInt64(bytes, 0x28), bytes);
            int headerSize = BitConverter.ToUInt16(bytes, 0x3A), headerCount = BitConverter.ToUInt16(bytes, 0x3C);
            var changed = false;
            for (var s = 0; s < headerCount; s++)
            {
                var header = Offset(sectionHeaders + ((long)s * headerSize), bytes);
                if (BitConverter.ToUInt32(bytes, header + 4) != ShtGnuVerneed)
                {
                    continue;
                }

                var needs = Offset(BitConverter.ToInt64(bytes, header + 0x18), bytes);
                var link = (int)BitConverter.ToUInt32(bytes, header + 0x28);
                var count = (int)BitConverter.ToUInt32(bytes, header + 0x2C);
                var strings = Offset(BitConverter.ToInt64(bytes, Offset(sectionHeaders + ((long)link * headerSize), bytes) + 0x18), bytes);
                var need = needs;
                for (var i = 0; i < count; i++)
                {
                    var auxCount = BitConverter.ToUInt16(bytes, need + 2);
                    var aux = Offset(need + (long)BitConverter.ToUInt32(bytes, need + 8), bytes);
                    for (var j = 0; j < auxCount; j++)
                    {
                        var name = Offset(strings + (long)BitConverter.ToUInt32(bytes, aux + 8), bytes);
                        var end = name;
                        while (end < bytes.Length && bytes[end] != 0)
                        {
                            end++;
                        }

                        if (Encoding.ASCII.GetString(bytes, name, end - name) == Version)
                        {
                            var flags = BitConverter.ToUInt16(bytes, aux + 4);
                            if ((flags & VerFlgWeak) == 0)
                            {
                                flags |= VerFlgWeak;
                                bytes[aux + 4] = (byte)flags;
                                bytes[aux + 5] = (byte)(flags >> 8);
                                changed = true;
                            }
                        }

                        var nextAux = BitConverter.ToUInt32(bytes, aux + 12);
                        if (nextAux == 0)
                        {
                            break;
                        }

                        aux = Offset(aux + (long)nextAux, bytes);
                    }

                    var nextNeed = BitConverter.ToUInt32(bytes, need + 12);
                    if (nextNeed == 0)
                    {
                        break;
                    }

                    need = Offset(need + (long)nextNeed, bytes);
                }
            }

            return changed;
        }

        private static int Offset(long offset, byte[] bytes) =>
            offset >= 0 && offset < bytes.Length ? (int)offset : throw new ArgumentOutOfRangeException(nameof(offset));
    }
}

#if !VAE_MLNET_LIBRARY
/// <summary>The build step: marks the requirement weak in the given copies of libLibTorchSharp.so.</summary>
public sealed class VaeMLNetMarkGlibcxxWeak : Microsoft.Build.Utilities.Task
{
    /// <summary>The copies in the output.</summary>
    [Microsoft.Build.Framework.Required]
    public Microsoft.Build.Framework.ITaskItem[] Files { get; set; } = new Microsoft.Build.Framework.ITaskItem[0];

    /// <summary>auto: only where this machine's libstdc++ lacks the version; true: always.</summary>
    [Microsoft.Build.Framework.Required]
    public string Mode { get; set; } = "auto";

    /// <inheritdoc />
    public override bool Execute()
    {
        if (Mode == "auto" && Vae.MLNet.Native.GlibcxxWeak.FindLibStdCxx(Vae.MLNet.Native.GlibcxxWeak.LibStdCxxFolders) is { } lib
            && Vae.MLNet.Native.GlibcxxWeak.Defines(lib))
        {
            Log.LogMessage(Microsoft.Build.Framework.MessageImportance.Low, lib + " provides " + Vae.MLNet.Native.GlibcxxWeak.Version + ": nothing to patch.");
            return true;
        }

        foreach (var item in Files)
        {
            var path = item.ItemSpec;
            var bytes = File.ReadAllBytes(path);
            if (!Vae.MLNet.Native.GlibcxxWeak.MarkWeak(bytes))
            {
                continue;
            }

            // A new file replaces the copy: a hard link into the package cache keeps its original bytes. The copy's
            // timestamp is kept so that incremental builds stay incremental.
            var stamp = File.GetLastWriteTimeUtc(path);
            var temp = path + ".vaemlnet.tmp";
            File.WriteAllBytes(temp, bytes);
            File.Delete(path);
            File.Move(temp, path);
            File.SetLastWriteTimeUtc(path, stamp);
            Log.LogMessage(Microsoft.Build.Framework.MessageImportance.Normal, "Marked " + Vae.MLNet.Native.GlibcxxWeak.Version + " weak in " + path);
        }

        return true;
    }
}
#endif
