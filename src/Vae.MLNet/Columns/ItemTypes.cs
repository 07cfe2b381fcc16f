using Microsoft.ML.Data;

namespace Vae.MLNet.Columns;

/// <summary>A computation generic in a column's item type, run for the type an <see cref="ItemKind"/> names.</summary>
/// <typeparam name="TResult">What it gives.</typeparam>
internal interface IItemFunction<out TResult>
{
    TResult Invoke<T>();
}

/// <summary>The one place where an <see cref="ItemKind"/> meets its .NET and ML.NET types: every other switch over
/// item types goes through <see cref="Invoke{TResult}"/> (as ML.NET's own code goes through
/// <c>Utils.MarshalInvoke</c>).</summary>
internal static class ItemTypes
{
    /// <summary>Runs <paramref name="function"/> with T the raw type of <paramref name="kind"/> (the raw key type for
    /// <see cref="ItemKind.Key"/> is the caller's to pass).</summary>
    public static TResult Invoke<TResult>(ItemKind kind, IItemFunction<TResult> function) => kind switch
    {
        ItemKind.Single => function.Invoke<float>(),
        ItemKind.Double => function.Invoke<double>(),
        ItemKind.SByte => function.Invoke<sbyte>(),
        ItemKind.Byte => function.Invoke<byte>(),
        ItemKind.Int16 => function.Invoke<short>(),
        ItemKind.UInt16 => function.Invoke<ushort>(),
        ItemKind.Int32 => function.Invoke<int>(),
        ItemKind.UInt32 => function.Invoke<uint>(),
        ItemKind.Int64 => function.Invoke<long>(),
        ItemKind.UInt64 => function.Invoke<ulong>(),
        ItemKind.Boolean => function.Invoke<bool>(),
        ItemKind.Text => function.Invoke<ReadOnlyMemory<char>>(),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "no raw type"),
    };

    /// <summary>The kind of a number type (also of a key's raw type), if it is one.</summary>
    public static bool TryNumber(Type raw, out ItemKind kind)
    {
        kind = raw == typeof(float) ? ItemKind.Single
            : raw == typeof(double) ? ItemKind.Double
            : raw == typeof(sbyte) ? ItemKind.SByte
            : raw == typeof(byte) ? ItemKind.Byte
            : raw == typeof(short) ? ItemKind.Int16
            : raw == typeof(ushort) ? ItemKind.UInt16
            : raw == typeof(int) ? ItemKind.Int32
            : raw == typeof(uint) ? ItemKind.UInt32
            : raw == typeof(long) ? ItemKind.Int64
            : raw == typeof(ulong) ? ItemKind.UInt64
            : (ItemKind)255;
        return kind != (ItemKind)255;
    }

    /// <summary>The ML.NET type of a number, Boolean or text item.</summary>
    public static PrimitiveDataViewType DataViewType(ItemKind kind) => kind switch
    {
        ItemKind.Single => NumberDataViewType.Single,
        ItemKind.Double => NumberDataViewType.Double,
        ItemKind.SByte => NumberDataViewType.SByte,
        ItemKind.Byte => NumberDataViewType.Byte,
        ItemKind.Int16 => NumberDataViewType.Int16,
        ItemKind.UInt16 => NumberDataViewType.UInt16,
        ItemKind.Int32 => NumberDataViewType.Int32,
        ItemKind.UInt32 => NumberDataViewType.UInt32,
        ItemKind.Int64 => NumberDataViewType.Int64,
        ItemKind.UInt64 => NumberDataViewType.UInt64,
        ItemKind.Boolean => BooleanDataViewType.Instance,
        ItemKind.Text => TextDataViewType.Instance,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "no primitive type"),
    };
}
