using Microsoft.ML;
using Microsoft.ML.Data;
using Vae.MLNet.Columns;

namespace Vae.MLNet.Transform;

/// <summary>Getters of per-column outputs decoded from the posterior mean, in the input column's own type: the
/// reconstructed value, or the imputed value (the input where observed, the reconstruction where missing).</summary>
internal static class DecodedGetters
{
    /// <summary>Creates the getter.</summary>
    /// <param name="encoding">The model's encoding.</param>
    /// <param name="index">The column's index in the encoding.</param>
    /// <param name="batch">The batch results (decoded rows and encoded inputs) and the row's index in them.</param>
    /// <param name="imputeFrom">For imputed values: the row with the input column; null for reconstructed values.</param>
    /// <param name="inputColumn">The input column.</param>
    public static Delegate Create(
        ColumnEncoding encoding, int index, CurrentBatch batch, DataViewRow? imputeFrom, DataViewSchema.Column inputColumn)
    {
        var column = encoding.Columns[index];
        var indicator = encoding.IndicatorOffsets[index];
        var context = new Context(column, batch, indicator, imputeFrom, inputColumn);
        if (column.Kind != VaeColumnKind.Categorical)
        {
            return ItemTypes.Invoke(column.Source.Item, new NumbersOf(context));
        }

        return column.Source.Item == ItemKind.Text ? context.Text() : ItemTypes.Invoke(column.Source.KeyRaw, new KeysOf(context));
    }

    private readonly struct NumbersOf(Context context) : IItemFunction<Delegate>
    {
        public Delegate Invoke<T>() => context.Numbers<T>();
    }

    private readonly struct KeysOf(Context context) : IItemFunction<Delegate>
    {
        public Delegate Invoke<T>() => context.Key<T>();
    }

    private sealed class Context(
        EncodedColumn column, CurrentBatch batch, int indicator, DataViewRow? imputeFrom, DataViewSchema.Column inputColumn)
    {
        private bool Missing(int row, int slot) => indicator >= 0 && batch.Computer.InputRow(row)[indicator + slot] > 0;

        private double Value(int row, int slot) => ColumnDecoder.MostLikely(column, slot, batch.Computer.DecodedRow(row).Slice(column.Offset, column.Width));

        private int Category(int row) => ColumnDecoder.MostLikelyCategory(column, batch.Computer.DecodedRow(row).Slice(column.Offset, column.Width));

        public Delegate Numbers<T>()
        {
            if (!column.Source.IsVector)
            {
                if (imputeFrom is null)
                {
                    return (ValueGetter<T>)((ref T value) => value = ColumnDecoder.ToItem<T>(Value(batch.Row, 0)));
                }

                var observed = imputeFrom.GetGetter<T>(inputColumn);
                return (ValueGetter<T>)((ref T value) =>
                {
                    var row = batch.Row;
                    observed(ref value);
                    if (Missing(row, 0))
                    {
                        value = ColumnDecoder.ToItem<T>(Value(row, 0));
                    }
                });
            }

            var width = column.ValueCount;
            var input = imputeFrom?.GetGetter<VBuffer<T>>(inputColumn);
            var buffer = default(VBuffer<T>);
            return (ValueGetter<VBuffer<T>>)((ref VBuffer<T> value) =>
            {
                var row = batch.Row;
                if (input is not null)
                {
                    input(ref buffer);
                }

                var editor = VBufferEditor.Create(ref value, width);
                if (input is not null)
                {
                    buffer.CopyTo(editor.Values);
                }

                for (var i = 0; i < width; i++)
                {
                    if (input is null || Missing(row, i))
                    {
                        editor.Values[i] = ColumnDecoder.ToItem<T>(Value(row, i));
                    }
                }

                value = editor.Commit();
            });
        }

        public Delegate Text()
        {
            var categories = column.Categories.Select(c => c.AsMemory()).ToArray();
            if (imputeFrom is null)
            {
                return (ValueGetter<ReadOnlyMemory<char>>)((ref ReadOnlyMemory<char> value) => value = categories[Category(batch.Row)]);
            }

            var observed = imputeFrom.GetGetter<ReadOnlyMemory<char>>(inputColumn);
            return (ValueGetter<ReadOnlyMemory<char>>)((ref ReadOnlyMemory<char> value) =>
            {
                var row = batch.Row;
                observed(ref value);
                if (Missing(row, 0))
                {
                    value = categories[Category(row)];
                }
            });
        }

        public Delegate Key<T>()
        {
            static T ToKey(int position) => ColumnDecoder.ToKey<T>(position);
            if (imputeFrom is null)
            {
                return (ValueGetter<T>)((ref T value) => value = ToKey(Category(batch.Row)));
            }

            var observed = imputeFrom.GetGetter<T>(inputColumn);
            return (ValueGetter<T>)((ref T value) =>
            {
                var row = batch.Row;
                observed(ref value);
                if (Missing(row, 0))
                {
                    value = ToKey(Category(row));
                }
            });
        }
    }
}
