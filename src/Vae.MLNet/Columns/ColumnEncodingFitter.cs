using Microsoft.ML;
using Microsoft.ML.Data;

namespace Vae.MLNet.Columns;

/// <summary>Learns an encoding from data (one pass) and encodes data with it (one more pass).</summary>
internal static class ColumnEncodingFitter
{
    /// <param name="data">The training data.</param>
    /// <param name="requests">The resolved columns.</param>
    /// <param name="maxCategories">Cap on the learned categories of a text column.</param>
    /// <param name="missingText">Null: missing values are rejected. Otherwise they are allowed, and these text values
    /// count as missing.</param>
    /// <param name="checkAlive">Throws when training is cancelled.</param>
    /// <param name="seed">Seed of the values sampled for mode-specific encodings.</param>
    public static ColumnEncoding Fit(IDataView data, IReadOnlyList<ColumnRequest> requests, int maxCategories, IReadOnlyList<string>? missingText = null, Action? checkAlive = null, int seed = 0) =>
        Fit(data, requests, maxCategories, missingText, checkAlive, out _, seed);

    /// <summary>Learns the encoding and takes the fingerprint of the pass: its row count (which <see cref="Encode"/>
    /// can then size its matrix by, where the data does not know its row count) and a hash of its rows (which
    /// <see cref="Encode"/> checks its own pass against).</summary>
    /// <param name="data">The training data.</param>
    /// <param name="requests">The resolved columns.</param>
    /// <param name="maxCategories">Cap on the learned categories of a text column.</param>
    /// <param name="missingText">Null: missing values are rejected. Otherwise they are allowed, and these text values
    /// count as missing.</param>
    /// <param name="checkAlive">Throws when training is cancelled.</param>
    /// <param name="fingerprint">The rows read: their count and hash.</param>
    /// <param name="seed">Seed of the values sampled for mode-specific encodings (<see cref="ModeFitter.SampleSize"/>
    /// per scalar numeric column, uniformly over the rows, by reservoir sampling).</param>
    public static ColumnEncoding Fit(IDataView data, IReadOnlyList<ColumnRequest> requests, int maxCategories, IReadOnlyList<string>? missingText, Action? checkAlive, out DataFingerprint fingerprint, int seed = 0)
    {
        var missing = missingText is null ? null : new HashSet<string>(missingText, StringComparer.Ordinal);
        var stats = requests.Select((r, i) => new ColumnStatistics(r, missing, seed + i)).ToArray();
        var active = requests.Select(r => data.Schema[r.Name]).ToArray();
        long row = 0;
        using (var cursor = data.GetRowCursor(active))
        {
            var readers = requests.Select(r => ValueReader.Create(cursor, cursor.Schema[r.Name], r.Source)).ToArray();
            var hash = new RowFingerprint(cursor, requests.Select(r => (r.Name, r.Source)).ToArray());
            while (cursor.MoveNext())
            {
                hash.Add();
                if ((row & 4095) == 0)
                {
                    checkAlive?.Invoke();
                }

                for (var c = 0; c < stats.Length; c++)
                {
                    stats[c].Add(readers[c], row);
                }

                row++;
            }

            fingerprint = hash.Result;
        }

        if (row == 0)
        {
            throw new InvalidOperationException("The training data has no rows; a variational autoencoder needs at least one.");
        }

        // The mode-specific columns' mixtures, one column per core (each is deterministic on its own sample).
        Parallel.For(0, stats.Length, c => stats[c].FitModes());

        var columns = new EncodedColumn[requests.Count];
        var offset = 0;
        for (var c = 0; c < columns.Length; c++)
        {
            columns[c] = stats[c].Build(data.Schema[requests[c].Name], offset, maxCategories);
            offset += columns[c].Width;
        }

        return new ColumnEncoding(columns, missingText);
    }

    /// <summary>Encodes every row into one row-major matrix.</summary>
    /// <param name="data">The data.</param>
    /// <param name="encoding">The learned encoding.</param>
    /// <param name="checkAlive">Called every 4,096 rows (cancellation).</param>
    /// <param name="first">The fingerprint of the pass that learned the encoding. Its row count sizes the matrix
    /// where the data does not know its own (the matrix is then written in place instead of in chunks copied together
    /// at the end, twice the memory), and this pass must give the same rows.</param>
    /// <exception cref="InvalidOperationException">This pass gave other rows than <paramref name="first"/>.</exception>
    public static EncodedMatrix Encode(IDataView data, ColumnEncoding encoding, Action? checkAlive = null, DataFingerprint? first = null)
    {
        var width = encoding.InputWidth;
        var active = encoding.Columns.Select(c => data.Schema[c.Name]).ToArray();
        var known = data.GetRowCount() ?? first?.Rows;
        var chunks = new List<float[]>();
        const int ChunkRows = 8192;
        float[]? values = known is > 0 and <= int.MaxValue && known * width <= Array.MaxLength ? new float[known.Value * width] : null;
        var chunk = values is null ? new float[ChunkRows * width] : null;
        var rows = 0;
        using (var cursor = data.GetRowCursor(active))
        {
            var encoder = new RowEncoder(encoding, cursor);
            var hash = first is null ? null : new RowFingerprint(cursor, encoding.Columns.Select(c => (c.Name, c.Source)).ToArray());
            while (cursor.MoveNext())
            {
                if ((rows & 4095) == 0)
                {
                    checkAlive?.Invoke();
                }

                if (rows >= first?.Rows)
                {
                    throw OtherRows(first.Value, $"more than {first.Value.Rows:N0}");
                }

                hash?.Add();
                if (values is not null)
                {
                    if ((long)(rows + 1) * width > values.Length)
                    {
                        throw new InvalidOperationException("The data has more rows than it said it has.");
                    }

                    encoder.Encode(values.AsSpan(rows * width, width), rows);
                }
                else
                {
                    var inChunk = rows % ChunkRows;
                    encoder.Encode(chunk.AsSpan(inChunk * width, width), rows);
                    if (inChunk == ChunkRows - 1)
                    {
                        chunks.Add(chunk!);
                        chunk = new float[ChunkRows * width];
                    }
                }

                rows++;
            }

            if (first is { } expected && hash!.Result != expected)
            {
                throw OtherRows(expected, rows == expected.Rows ? "as many rows, but not the same" : $"{rows:N0}");
            }
        }

        if (values is null)
        {
            if ((long)rows * width > Array.MaxLength)
            {
                throw new InvalidOperationException($"The encoded data ({rows} rows x {width} features) is too large for one array.");
            }

            values = new float[rows * width];
            for (var i = 0; i < chunks.Count; i++)
            {
                chunks[i].CopyTo(values, i * ChunkRows * width);
            }

            Array.Copy(chunk!, 0, values, chunks.Count * ChunkRows * width, (rows % ChunkRows) * width);
        }
        else if (rows * width != values.Length)
        {
            throw new InvalidOperationException("The data has fewer rows than it said it has.");
        }

        return new EncodedMatrix(values, rows, width);
    }

    private static InvalidOperationException OtherRows(DataFingerprint first, string second) => new(
        $"The training data gave other rows on its second reading than on its first ({first.Rows:N0} rows, then {second}). " +
        "Fit reads the data twice, once to learn each column's statistics and once to encode it, and needs the same rows both times: " +
        "a source that can be enumerated only once (a stream, a queue, a database reader) or that changes between readings gives wrong statistics. " +
        "Read such a source into memory first, e.g. with mlContext.Data.Cache(data).");

    /// <summary>What one pass learns about one column. Missing values (when allowed) are left out of every statistic.</summary>
    private sealed class ColumnStatistics(ColumnRequest request, HashSet<string>? missingText, int seed)
    {
        private readonly double[] _sample = request.Kind == VaeColumnKind.Numeric && !request.Source.IsVector && request.Encoding != VaeNumericEncoding.Standardize
            ? new double[ModeFitter.SampleSize] : [];
        private readonly Random _sampler = new(seed);
        private readonly double[] _mean = new double[request.Kind == VaeColumnKind.Numeric ? request.Source.ItemCount : 0];
        private readonly double[] _m2 = new double[request.Kind == VaeColumnKind.Numeric ? request.Source.ItemCount : 0];
        private readonly long[] _observed = new long[request.Kind == VaeColumnKind.Numeric ? request.Source.ItemCount : 0];
        private readonly double[] _min = Enumerable.Repeat(double.PositiveInfinity, request.Kind == VaeColumnKind.Numeric ? request.Source.ItemCount : 0).ToArray();
        private readonly double[] _max = Enumerable.Repeat(double.NegativeInfinity, request.Kind == VaeColumnKind.Numeric ? request.Source.ItemCount : 0).ToArray();
        private readonly sbyte[] _decimals = new sbyte[request.Kind == VaeColumnKind.Numeric ? request.Source.ItemCount : 0];
        private readonly double[] _values = new double[request.Source.ItemCount];
        private readonly float[] _floats = new float[request.Kind == VaeColumnKind.Binary && request.Source.Item == ItemKind.Single ? request.Source.ItemCount : 0];
        private readonly Dictionary<string, long> _counts = new(StringComparer.Ordinal);

        public void Add(ValueReader reader, long row)
        {
            var allowMissing = missingText is not null;
            if (request.Kind == VaeColumnKind.Categorical)
            {
                if (request.Source.Item == ItemKind.Text)
                {
                    var text = reader.ReadText().Span;
                    if (allowMissing && missingText!.GetAlternateLookup<ReadOnlySpan<char>>().Contains(text))
                    {
                        return;
                    }

                    var lookup = _counts.GetAlternateLookup<ReadOnlySpan<char>>();
                    lookup[text] = lookup.TryGetValue(text, out var n) ? n + 1 : 1;
                }
                else
                {
                    var key = reader.ReadKey();
                    if (!(allowMissing && key == 0))
                    {
                        ValueChecks.KeyPosition(request.Name, key, request.Source.KeyCount, row);
                    }
                }

                return;
            }

            if (request.Kind == VaeColumnKind.Binary)
            {
                // Floats in [0, 1] need no more than that check; anything else goes value by value below.
                if (ValueChecks.TryReadUnitFloats(reader, _floats, _values, out _))
                {
                    return;
                }
            }
            else
            {
                reader.ReadNumbers(_values);
            }

            for (var i = 0; i < _values.Length; i++)
            {
                var x = _values[i];
                if (allowMissing && double.IsNaN(x))
                {
                    continue;
                }

                if (request.Kind == VaeColumnKind.Binary)
                {
                    ValueChecks.CheckBinary(request.Name, request.Source.IsVector, x, row, i);
                    continue;
                }

                if (!double.IsFinite(x) || Math.Abs(x) > float.MaxValue)
                {
                    var problem = double.IsFinite(x) ? "is beyond the range of a float" : "is not a finite number";
                    var hint = double.IsFinite(x) ? string.Empty : allowMissing ? " (NaN counts as missing; infinities do not)" : " (set AllowMissingValues to treat NaN as missing)";
                    throw ValueChecks.InvalidValue(request.Name, request.Source.IsVector, row, i, x, problem + hint);
                }

                _min[i] = Math.Min(_min[i], x);
                _max[i] = Math.Max(_max[i], x);
                if (_decimals[i] >= 0)
                {
                    _decimals[i] = Math.Max(_decimals[i], DecimalPlaces(x));
                }

                if (_sample.Length > 0)
                {
                    // Reservoir sampling (Algorithm R): every observed value is in the sample with the same probability.
                    var slot = _observed[i] < _sample.Length ? _observed[i] : _sampler.NextInt64(_observed[i] + 1);
                    if (slot < _sample.Length)
                    {
                        _sample[slot] = x;
                    }
                }

                // Welford's update: stable for large values and long columns.
                var count = ++_observed[i];
                var delta = x - _mean[i];
                _mean[i] += delta / count;
                _m2[i] += delta * (x - _mean[i]);
            }
        }

        /// <summary>The decimal places (0 to 4) a value fits in, or -1 if it needs more.</summary>
        private static sbyte DecimalPlaces(double x)
        {
            var scaled = x;
            for (sbyte places = 0; places <= 4; places++, scaled *= 10)
            {
                if (Math.Abs(scaled - Math.Round(scaled)) <= 1e-6 * Math.Max(1, Math.Abs(scaled)))
                {
                    return places;
                }
            }

            return -1;
        }

        private NumericModes? _modes;

        /// <summary>Fits the column's modes from its sample, where it has one (a scalar numeric column whose encoding
        /// is not <see cref="VaeNumericEncoding.Standardize"/>).</summary>
        public void FitModes()
        {
            if (_sample.Length > 0)
            {
                _modes = ModeFitter.Fit(_sample.AsSpan(0, (int)Math.Min(_observed[0], _sample.Length)), _decimals[0], force: request.Encoding == VaeNumericEncoding.ModeSpecific);
            }
        }

        public EncodedColumn Build(DataViewSchema.Column column, int offset, int maxCategories)
        {
            var source = request.Source;
            switch (request.Kind)
            {
                case VaeColumnKind.Numeric:
                {
                    var means = new float[_mean.Length];
                    var stds = new float[_mean.Length];
                    for (var i = 0; i < means.Length; i++)
                    {
                        means[i] = (float)_mean[i];
                        var std = _observed[i] == 0 ? 0 : Math.Sqrt(_m2[i] / _observed[i]);
                        // A constant (or numerically constant) feature keeps scale 1: it encodes to 0.
                        // A spread beyond a float (values near both ends of its range) is taken as the largest float.
                        stds[i] = std > 1e-8 * Math.Max(1.0, Math.Abs(_mean[i])) && double.IsFinite(std) ? (float)Math.Min(std, float.MaxValue) : 1f;
                    }

                    var observed = _observed.All(n => n > 0);
                    var modes = _modes;
                    return new EncodedColumn(request.Name, request.Kind, request.Weight, source, offset, modes is null ? means.Length : 2 + modes.Count, means, stds, [])
                    {
                        Minimums = observed ? _min.Select(v => (float)v).ToArray() : [],
                        Maximums = observed ? _max.Select(v => (float)v).ToArray() : [],
                        Decimals = observed ? _decimals : [],
                        Modes = modes,
                    };
                }

                case VaeColumnKind.Binary:
                    return new EncodedColumn(request.Name, request.Kind, request.Weight, source, offset, source.ItemCount, [], [], []);

                default:
                {
                    string[] categories;
                    if (source.Item == ItemKind.Text)
                    {
                        // Most frequent first; ties in ordinal order, so the encoding does not depend on row order.
                        categories = _counts
                            .OrderByDescending(p => p.Value).ThenBy(p => p.Key, StringComparer.Ordinal)
                            .Take(maxCategories).Select(p => p.Key)
                            .Append(VaeColumnInfo.OtherCategory).ToArray();
                    }
                    else
                    {
                        categories = KeyNames(column, (int)source.KeyCount);
                    }

                    return new EncodedColumn(request.Name, request.Kind, request.Weight, source, offset, categories.Length, [], [], categories);
                }
            }
        }

        private static string[] KeyNames(DataViewSchema.Column column, int count)
        {
            var names = Enumerable.Range(1, count).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();
            if (column.HasKeyValues())
            {
                VBuffer<ReadOnlyMemory<char>> values = default;
                column.GetKeyValues(ref values);
                var dense = values.DenseValues().ToArray();
                for (var i = 0; i < Math.Min(count, dense.Length); i++)
                {
                    names[i] = dense[i].ToString();
                }
            }

            return names;
        }
    }
}
