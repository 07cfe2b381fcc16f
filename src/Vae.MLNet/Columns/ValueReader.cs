using System.Runtime.CompilerServices;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace Vae.MLNet.Columns;

/// <summary>Reads one input column of the current row in a type-independent form: numbers (and Booleans) as doubles,
/// keys as their raw value, text as characters.</summary>
internal abstract class ValueReader
{
    public static ValueReader Create(DataViewRow row, DataViewSchema.Column column, SourceType source) => source.Item switch
    {
        ItemKind.Text => new TextReader(row.GetGetter<ReadOnlyMemory<char>>(column)),
        ItemKind.Key => ItemTypes.Invoke(source.KeyRaw, new KeyReaderOf(row, column)),
        _ => ItemTypes.Invoke(source.Item, new NumberReaderOf(row, column, source.IsVector)),
    };

    /// <summary>Writes the row's values (one per slot) as doubles.</summary>
    public virtual void ReadNumbers(Span<double> destination) => throw new InvalidOperationException();

    /// <summary>For a column of floats: gives the row's values (one per slot) as they are, where they lie when they can
    /// (valid until the next read), otherwise written to <paramref name="scratch"/>, and returns true; for other
    /// columns returns false and reads nothing.</summary>
    public virtual bool TryReadFloats(Span<float> scratch, out ReadOnlySpan<float> values)
    {
        values = default;
        return false;
    }

    /// <summary>The row's raw key value (0 is missing).</summary>
    public virtual ulong ReadKey() => throw new InvalidOperationException();

    /// <summary>The row's text.</summary>
    public virtual ReadOnlyMemory<char> ReadText() => throw new InvalidOperationException();

    private readonly struct NumberReaderOf(DataViewRow row, DataViewSchema.Column column, bool vector) : IItemFunction<ValueReader>
    {
        public ValueReader Invoke<T>() =>
            vector ? new VectorReader<T>(row.GetGetter<VBuffer<T>>(column)) : new ScalarReader<T>(row.GetGetter<T>(column));
    }

    private readonly struct KeyReaderOf(DataViewRow row, DataViewSchema.Column column) : IItemFunction<ValueReader>
    {
        public ValueReader Invoke<T>() => new KeyReader<T>(row.GetGetter<T>(column));
    }

    internal static double ToDouble<T>(T value)
    {
        // Each branch folds away for the value type it is compiled for.
        if (typeof(T) == typeof(float)) { return (float)(object)value!; }
        if (typeof(T) == typeof(double)) { return (double)(object)value!; }
        if (typeof(T) == typeof(bool)) { return (bool)(object)value! ? 1.0 : 0.0; }
        if (typeof(T) == typeof(sbyte)) { return (sbyte)(object)value!; }
        if (typeof(T) == typeof(byte)) { return (byte)(object)value!; }
        if (typeof(T) == typeof(short)) { return (short)(object)value!; }
        if (typeof(T) == typeof(ushort)) { return (ushort)(object)value!; }
        if (typeof(T) == typeof(int)) { return (int)(object)value!; }
        if (typeof(T) == typeof(uint)) { return (uint)(object)value!; }
        if (typeof(T) == typeof(long)) { return (long)(object)value!; }
        if (typeof(T) == typeof(ulong)) { return (ulong)(object)value!; }
        throw new NotSupportedException(typeof(T).Name);
    }

    private sealed class ScalarReader<T>(ValueGetter<T> getter) : ValueReader
    {
        private T _value = default!;

        public override bool TryReadFloats(Span<float> scratch, out ReadOnlySpan<float> values)
        {
            values = default;
            if (typeof(T) != typeof(float))
            {
                return false;
            }

            getter(ref _value);
            scratch[0] = Unsafe.As<T, float>(ref _value);
            values = scratch[..1];
            return true;
        }

        public override void ReadNumbers(Span<double> destination)
        {
            getter(ref _value);
            destination[0] = ToDouble(_value);
        }
    }

    private sealed class VectorReader<T>(ValueGetter<VBuffer<T>> getter) : ValueReader
    {
        private VBuffer<T> _value;

        public override bool TryReadFloats(Span<float> scratch, out ReadOnlySpan<float> values)
        {
            values = default;
            if (typeof(T) != typeof(float))
            {
                return false;
            }

            getter(ref _value);
            // T is float here: the same struct, read without boxing. Dense values are read where they lie.
            ref var floats = ref Unsafe.As<VBuffer<T>, VBuffer<float>>(ref _value);
            if (floats.IsDense)
            {
                values = floats.GetValues();
                return true;
            }

            floats.CopyTo(scratch);
            values = scratch;
            return true;
        }

        public override void ReadNumbers(Span<double> destination)
        {
            getter(ref _value);
            var values = _value.GetValues();
            if (_value.IsDense)
            {
                for (var i = 0; i < destination.Length; i++)
                {
                    destination[i] = ToDouble(values[i]);
                }

                return;
            }

            destination.Clear();
            var indices = _value.GetIndices();
            for (var i = 0; i < indices.Length; i++)
            {
                destination[indices[i]] = ToDouble(values[i]);
            }
        }
    }

    private sealed class KeyReader<T>(ValueGetter<T> getter) : ValueReader
    {
        private T _value = default!;

        public override ulong ReadKey()
        {
            getter(ref _value);
            return (ulong)ToDouble(_value);
        }
    }

    private sealed class TextReader(ValueGetter<ReadOnlyMemory<char>> getter) : ValueReader
    {
        private ReadOnlyMemory<char> _value;

        public override ReadOnlyMemory<char> ReadText()
        {
            getter(ref _value);
            return _value;
        }
    }
}
