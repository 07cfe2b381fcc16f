using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Microsoft.ML;

namespace Vae.MLNet.Columns;

/// <summary>Hashes the model's input columns of each row a cursor passes, so that two readings of the same data can
/// be compared: <c>Fit</c> reads its data twice (statistics, then encoding), and a source that gives other rows the
/// second time (one that can be enumerated only once, or that changed in between) would otherwise be encoded with the
/// statistics of rows it no longer holds. Rows in another order give the same fingerprint: the order of training rows
/// does not matter.</summary>
internal sealed class RowFingerprint
{
    private readonly ValueReader[] _readers;
    private readonly SourceType[] _sources;
    private readonly double[] _numbers;
    private readonly float[] _floats;
    private long _rows;
    private ulong _hash;

    public RowFingerprint(DataViewRow row, IReadOnlyList<(string Name, SourceType Source)> columns)
    {
        _readers = columns.Select(c => ValueReader.Create(row, row.Schema[c.Name], c.Source)).ToArray();
        _sources = columns.Select(c => c.Source).ToArray();
        _numbers = new double[Math.Max(1, columns.Max(c => c.Source.ItemCount))];
        _floats = new float[_numbers.Length];
    }

    public DataFingerprint Result => new(_rows, _hash);

    /// <summary>Adds the row the cursor is on.</summary>
    public void Add()
    {
        var row = default(HashCode);
        for (var c = 0; c < _readers.Length; c++)
        {
            var source = _sources[c];
            switch (source.Item)
            {
                case ItemKind.Text:
                    row.Add(string.GetHashCode(_readers[c].ReadText().Span));
                    break;
                case ItemKind.Key:
                    row.Add(_readers[c].ReadKey());
                    break;
                default:
                {
                    // The values' bits: the same data gives the same bits in every reading.
                    if (_readers[c].TryReadFloats(_floats.AsSpan(0, source.ItemCount), out var floats))
                    {
                        row.Add(Bits(MemoryMarshal.Cast<float, uint>(floats)));
                        break;
                    }

                    var values = _numbers.AsSpan(0, source.ItemCount);
                    _readers[c].ReadNumbers(values);
                    row.Add(Bits(MemoryMarshal.Cast<double, uint>(values)));
                    break;
                }
            }
        }

        _rows++;
        _hash += Mix((uint)row.ToHashCode());
    }

    /// <summary>A hash of a run of 32-bit words, eight at a time: each of eight lanes a polynomial over the words at its
    /// positions, then the lanes, the tail and the length combined.</summary>
    private static int Bits(ReadOnlySpan<uint> words)
    {
        var lanes = Vector256.Create(0x85EBCA77u, 0xC2B2AE3Du, 0x27D4EB2Fu, 0x165667B1u, 0xD3A2646Cu, 0xFD7046C5u, 0xB55A4F09u, 0x9E3779B1u);
        var prime = Vector256.Create(0x9E3779B1u);
        var i = 0;
        for (; i <= words.Length - Vector256<uint>.Count; i += Vector256<uint>.Count)
        {
            lanes = (lanes * prime) + Vector256.Create(words.Slice(i, Vector256<uint>.Count));
        }

        var tail = 0u;
        for (; i < words.Length; i++)
        {
            tail = (tail * 0x9E3779B1u) + words[i] + 1;
        }

        var hash = default(HashCode);
        for (var lane = 0; lane < Vector256<uint>.Count; lane++)
        {
            hash.Add(lanes[lane]);
        }

        hash.Add(tail);
        hash.Add(words.Length);
        return hash.ToHashCode();
    }

    /// <summary>Spreads a row's 32-bit hash over 64 bits before it is summed (SplitMix64's finaliser).</summary>
    private static ulong Mix(ulong x)
    {
        x += 0x9E3779B97F4A7C15;
        x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9;
        x = (x ^ (x >> 27)) * 0x94D049BB133111EB;
        return x ^ (x >> 31);
    }
}
