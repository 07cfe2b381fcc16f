using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using Vae.MLNet.Columns;

namespace Vae.MLNet;

/// <summary>Decoded rows as a view computed while it is read, a batch at a time (<c>Generate</c> and <c>Decode</c>):
/// memory does not grow with the number of rows. Each batch is decoded into a small in-memory view by
/// <see cref="RowDecoder"/> and served from it, so the values are those of the eager view of all rows.</summary>
internal sealed class DecodedRowsView : IDataView
{
    /// <summary>Rows decoded at a time.</summary>
    internal const int BatchRows = 1024;

    private readonly IHostEnvironment _env;
    private readonly ColumnEncoding _encoding;
    private readonly float[] _noise;
    private readonly long? _rows;
    private readonly Func<IDecodedBatches> _open;

    /// <param name="env">The environment.</param>
    /// <param name="encoding">The model's encoding.</param>
    /// <param name="noise">The model's numeric noise.</param>
    /// <param name="rows">The number of rows, where known.</param>
    /// <param name="open">Opens the batches, once per cursor.</param>
    public DecodedRowsView(IHostEnvironment env, ColumnEncoding encoding, float[] noise, long? rows, Func<IDecodedBatches> open)
    {
        _env = env;
        _encoding = encoding;
        _noise = noise;
        _rows = rows;
        _open = open;

        // The schema of a one-row view of the same columns: the batches' views have exactly this schema.
        Schema = RowDecoder.ToDataView(env, encoding, noise, new float[encoding.Width], 1, (IReadOnlyList<Random>?)null).Schema;
    }

    public bool CanShuffle => false;

    public DataViewSchema Schema { get; }

    public long? GetRowCount() => _rows;

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null) =>
        new Cursor(this, columnsNeeded.Select(c => c.Index).ToHashSet(), _open());

    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) =>
        [GetRowCursor(columnsNeeded, rand)];

    /// <summary>Decoded batches one after another.</summary>
    internal interface IDecodedBatches
    {
        /// <summary>The next batch of at most <see cref="BatchRows"/> rows: its decoder outputs and, for draws, one
        /// source per column. 0 rows at the end.</summary>
        int Next(out float[] decoded, out IReadOnlyList<Random>? randoms);
    }

    private sealed class Cursor(DecodedRowsView view, HashSet<int> active, IDecodedBatches batches) : DataViewRowCursor
    {
        private DataViewRowCursor? _batch;
        private int _batchNumber;
        private long _position = -1;
        private bool _done;

        public override long Position => _position;

        public override long Batch => 0;

        public override DataViewSchema Schema => view.Schema;

        public override bool IsColumnActive(DataViewSchema.Column column) => active.Contains(column.Index);

        public override bool MoveNext()
        {
            if (_done)
            {
                return false;
            }

            while (_batch is null || !_batch.MoveNext())
            {
                _batch?.Dispose();
                _batch = null;
                var rows = batches.Next(out var decoded, out var randoms);
                if (rows == 0)
                {
                    _done = true;
                    return false;
                }

                var part = RowDecoder.ToDataView(view._env, view._encoding, view._noise, decoded, rows, randoms);
                _batch = part.GetRowCursor(part.Schema.Where(c => active.Contains(c.Index)));
                _batchNumber++;
            }

            _position++;
            return true;
        }

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
        {
            if (!IsColumnActive(column))
            {
                throw new InvalidOperationException($"Column '{column.Name}' is not active in this cursor.");
            }

            // The batch's own getter, fetched again when the batch changes.
            var index = column.Index;
            ValueGetter<TValue>? getter = null;
            var number = 0;
            return (ref TValue value) =>
            {
                if (number != _batchNumber)
                {
                    getter = _batch!.GetGetter<TValue>(_batch.Schema[index]);
                    number = _batchNumber;
                }

                getter!(ref value);
            };
        }

        public override ValueGetter<DataViewRowId> GetIdGetter() =>
            (ref DataViewRowId id) => id = new DataViewRowId((ulong)_position, 0);

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _batch?.Dispose();
                _batch = null;
                _done = true;
            }

            base.Dispose(disposing);
        }
    }
}
