using Microsoft.ML.Data;

namespace Vae.MLNet.Columns;

/// <summary>The type of an input column as the encoding needs it: what to read, and what a fitted model insists on
/// finding again at transform time. Serialisable, unlike <see cref="DataViewType"/>.</summary>
internal readonly record struct SourceType(ItemKind Item, ItemKind KeyRaw, ulong KeyCount, int VectorSize)
{
    public bool IsVector => VectorSize > 0;

    public int ItemCount => Math.Max(1, VectorSize);

    public bool IsNumber => Item is not (ItemKind.Boolean or ItemKind.Text or ItemKind.Key);

    /// <summary>Reads a column type, or returns a message saying why it is not supported.</summary>
    public static bool TryFrom(DataViewType type, out SourceType source, out string problem)
    {
        source = default;
        problem = string.Empty;
        var vectorSize = 0;
        var item = type;
        if (type is VectorDataViewType vector)
        {
            if (!vector.IsKnownSize)
            {
                problem = $"is a vector of variable size ({type}); only scalars and fixed-size vectors are supported";
                return false;
            }

            vectorSize = vector.Size;
            item = vector.ItemType;
        }

        ItemKind keyRaw = default;
        ulong keyCount = 0;
        ItemKind kind;
        if (item is KeyDataViewType key)
        {
            if (vectorSize > 0)
            {
                problem = $"is a vector of keys ({type}); give each categorical as its own scalar key or text column";
                return false;
            }

            if (key.Count == 0 || key.Count > int.MaxValue)
            {
                problem = $"is a key type without a usable count ({type})";
                return false;
            }

            kind = ItemKind.Key;
            keyCount = key.Count;
            if (!TryNumber(key.RawType, out keyRaw))
            {
                problem = $"has an unsupported key type ({type})";
                return false;
            }
        }
        else if (item is TextDataViewType)
        {
            if (vectorSize > 0)
            {
                problem = $"is a vector of text ({type}); give each categorical as its own scalar text or key column";
                return false;
            }

            kind = ItemKind.Text;
        }
        else if (item is BooleanDataViewType)
        {
            kind = ItemKind.Boolean;
        }
        else if (!TryNumber(item.RawType, out kind))
        {
            problem = $"has an unsupported type ({type}); numeric, Boolean, key and text columns are supported";
            return false;
        }

        source = new SourceType(kind, keyRaw, keyCount, vectorSize);
        return true;
    }

    private static bool TryNumber(Type raw, out ItemKind kind)
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

    /// <summary>The ML.NET type this describes.</summary>
    public DataViewType ToDataViewType()
    {
        DataViewType item = Item switch
        {
            ItemKind.Key => new KeyDataViewType(NumberType(KeyRaw).RawType, KeyCount),
            ItemKind.Text => TextDataViewType.Instance,
            ItemKind.Boolean => BooleanDataViewType.Instance,
            _ => NumberType(Item),
        };
        return IsVector ? new VectorDataViewType((PrimitiveDataViewType)item, VectorSize) : item;
    }

    private static NumberDataViewType NumberType(ItemKind kind) => kind switch
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
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    public override string ToString() => ToDataViewType().ToString() ?? Item.ToString();
}
