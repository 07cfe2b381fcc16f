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
    private long _rows;
    private ulong _hash;

    public RowFingerprint(DataViewRow row, IReadOnlyList<(string Name, SourceType Source)> columns)
    {
        _readers = columns.Select(c => ValueReader.Create(row, row.Schema[c.Name], c.Source)).ToArray();
        _sources = columns.Select(c => c.Source).ToArray();
        _numbers = new double[Math.Max(1, columns.Max(c => c.Source.ItemCount))];
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
                    var values = _numbers.AsSpan(0, source.ItemCount);
                    _readers[c].ReadNumbers(values);
                    foreach (var value in values)
                    {
                        // Every NaN is the same missing value.
                        row.Add(double.IsNaN(value) ? double.NaN : value);
                    }

                    break;
                }
            }
        }

        _rows++;
        _hash += Mix((uint)row.ToHashCode());
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
