using Microsoft.ML;

namespace Vae.MLNet.Columns;

/// <summary>The training data read again and again, one cursor per pass, each row encoded as it is read (the rows of
/// a table that is not held in memory). Every pass is held to the fingerprint of the statistics pass: a source that
/// gives other rows, or more or fewer of them, stops the pass with a message saying so.</summary>
internal sealed class EncodedPasses
{
    private readonly IDataView _data;
    private readonly ColumnEncoding _encoding;
    private readonly DataFingerprint _first;
    private readonly Action? _checkAlive;
    private readonly DataViewSchema.Column[] _active;
    private int _readings = 1;

    /// <param name="data">The training data.</param>
    /// <param name="encoding">The encoding learned by the statistics pass.</param>
    /// <param name="first">The fingerprint of the statistics pass.</param>
    /// <param name="checkAlive">Called every 4,096 rows (cancellation).</param>
    public EncodedPasses(IDataView data, ColumnEncoding encoding, DataFingerprint first, Action? checkAlive)
    {
        _data = data;
        _encoding = encoding;
        _first = first;
        _checkAlive = checkAlive;
        _active = encoding.Columns.Select(c => data.Schema[c.Name]).ToArray();
    }

    /// <summary>The rows of every pass: those of the statistics pass.</summary>
    public long Rows => _first.Rows;

    /// <summary>The width of an encoded row (the encoder's input width).</summary>
    public int Width => _encoding.InputWidth;

    /// <summary>Opens a pass over the data from its first row.</summary>
    public Pass Open() => new(this, ++_readings);

    /// <summary>One reading of the data: a cursor, the row encoder and the row hash.</summary>
    internal sealed class Pass : IDisposable
    {
        private readonly EncodedPasses _owner;
        private readonly int _reading;
        private readonly DataViewRowCursor _cursor;
        private readonly RowEncoder _encoder;
        private readonly RowFingerprint _hash;
        private bool _ended;

        public Pass(EncodedPasses owner, int reading)
        {
            _owner = owner;
            _reading = reading;
            _cursor = owner._data.GetRowCursor(owner._active);
            _encoder = new RowEncoder(owner._encoding, _cursor);
            _hash = new RowFingerprint(_cursor, owner._encoding.Columns.Select(c => (c.Name, c.Source)).ToArray());
        }

        /// <summary>The position of the current row in this reading (-1 before the first).</summary>
        public long Position { get; private set; } = -1;

        /// <summary>Moves to the next row. False at the end of the data, once the rows read have been checked
        /// against the statistics pass.</summary>
        /// <exception cref="InvalidOperationException">This reading gave other rows than the first.</exception>
        public bool MoveNext()
        {
            if (_ended)
            {
                return false;
            }

            if (!_cursor.MoveNext())
            {
                _ended = true;
                var result = _hash.Result;
                if (result != _owner._first)
                {
                    throw OtherRows(_owner._first, _reading, result.Rows == _owner._first.Rows ? "as many rows, but not the same" : $"{result.Rows:N0}");
                }

                return false;
            }

            Position++;
            if ((Position & 4095) == 0)
            {
                _owner._checkAlive?.Invoke();
            }

            if (Position >= _owner._first.Rows)
            {
                throw OtherRows(_owner._first, _reading, $"more than {_owner._first.Rows:N0}");
            }

            _hash.Add();
            return true;
        }

        /// <summary>Encodes the current row into <paramref name="destination"/> (of <see cref="Width"/> floats).</summary>
        public void Encode(Span<float> destination) => _encoder.Encode(destination, Position);

        /// <summary>Reads the rest of the data (the rows are hashed, not encoded), so that the whole reading is
        /// checked against the first.</summary>
        public void ReadToEnd()
        {
            while (MoveNext())
            {
            }
        }

        public void Dispose() => _cursor.Dispose();
    }

    private static InvalidOperationException OtherRows(DataFingerprint first, int reading, string other) => new(
        $"The training data gave other rows on reading {reading} than on its first ({first.Rows:N0} rows, then {other}). " +
        "Fit streams this data (see VariationalAutoencoderOptions.DataLoading): it reads it once to learn each column's statistics, then once per epoch, and needs the same rows every time: " +
        "a source that can be enumerated only once (a stream, a queue, a database reader) or that changes between readings gives wrong statistics and batches. " +
        "Give Fit a source that can be read again, or read a smaller one into memory first, e.g. with mlContext.Data.Cache(data).");
}
