using Microsoft.ML.Data;

namespace Vae.MLNet.Columns;

/// <summary>The type of an input column as the encoding needs it: what to read, and what a fitted model insists on
/// finding again at transform time. Serialisable, unlike <see cref="DataViewType"/>.</summary>
internal readonly record struct SourceType(ItemKind Item, ItemKind KeyRaw, ulong KeyCount, int VectorSize)
{
    public bool IsVector => VectorSize > 0;

    public int ItemCount => Math.Max(1, VectorSize);

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
                problem = VariableSize(type.ToString()!);
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
                problem = VectorOfCategories(ItemKind.Key, type.ToString()!);
                return false;
            }

            if (key.Count == 0 || key.Count > int.MaxValue)
            {
                problem = $"is a key type without a usable count ({type})";
                return false;
            }

            kind = ItemKind.Key;
            keyCount = key.Count;
            if (!ItemTypes.TryNumber(key.RawType, out keyRaw))
            {
                problem = $"has an unsupported key type ({type})";
                return false;
            }
        }
        else if (item is TextDataViewType)
        {
            if (vectorSize > 0)
            {
                problem = VectorOfCategories(ItemKind.Text, type.ToString()!);
                return false;
            }

            kind = ItemKind.Text;
        }
        else if (item is BooleanDataViewType)
        {
            kind = ItemKind.Boolean;
        }
        else if (!ItemTypes.TryNumber(item.RawType, out kind))
        {
            problem = Unsupported(type.ToString()!);
            return false;
        }

        source = new SourceType(kind, keyRaw, keyCount, vectorSize);
        return true;
    }

    /// <summary>Why a variable-size vector is refused (the column's type in brackets).</summary>
    public static string VariableSize(string type) => $"is a vector of variable size ({type}); only scalars and fixed-size vectors are supported";

    /// <summary>Why a vector of keys or text is refused.</summary>
    public static string VectorOfCategories(ItemKind item, string type) =>
        $"is a vector of {(item == ItemKind.Key ? "keys" : "text")} ({type}); give each categorical as its own scalar key or text column";

    /// <summary>Why any other type is refused.</summary>
    public static string Unsupported(string type) => $"has an unsupported type ({type}); numeric, Boolean, key and text columns are supported";

    /// <summary>The ML.NET type this describes.</summary>
    public DataViewType ToDataViewType()
    {
        var item = Item == ItemKind.Key ? new KeyDataViewType(ItemTypes.DataViewType(KeyRaw).RawType, KeyCount) : ItemTypes.DataViewType(Item);
        return IsVector ? new VectorDataViewType((PrimitiveDataViewType)item, VectorSize) : item;
    }

    public override string ToString() => ToDataViewType().ToString() ?? Item.ToString();
}
