using Microsoft.ML;
using Microsoft.ML.Data;

namespace Vae.MLNet.Columns;

/// <summary>Checks requested columns against a schema and resolves their kinds. The same rules serve
/// <c>GetOutputSchema</c> (a <see cref="SchemaShape"/>), <c>Fit</c> and <c>Transform</c> (a <see cref="DataViewSchema"/>).</summary>
internal static class ColumnResolver
{
    /// <summary>Validates the list itself: not empty, no empty or duplicate names, finite non-negative weights.</summary>
    public static void CheckList(IReadOnlyList<VaeColumn>? columns, string parameterName)
    {
        if (columns is null || columns.Count == 0)
        {
            throw new ArgumentOutOfRangeException(parameterName, "At least one input column is required.");
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var column in columns)
        {
            if (column is null || string.IsNullOrWhiteSpace(column.Name))
            {
                throw new ArgumentOutOfRangeException(parameterName, "Input column names must not be null or empty.");
            }

            if (!seen.Add(column.Name))
            {
                throw new ArgumentOutOfRangeException(parameterName, $"Input column '{column.Name}' is listed more than once.");
            }

            if (!(column.Weight >= 0) || double.IsInfinity(column.Weight))
            {
                throw new ArgumentOutOfRangeException(parameterName, $"Input column '{column.Name}' has weight {column.Weight}; weights must be finite and not negative.");
            }

            if (!Enum.IsDefined(column.Kind))
            {
                throw new ArgumentOutOfRangeException(parameterName, $"Input column '{column.Name}' has an unknown kind {column.Kind}.");
            }

            if (!Enum.IsDefined(column.NumericEncoding))
            {
                throw new ArgumentOutOfRangeException(parameterName, $"Input column '{column.Name}' has an unknown numeric encoding {column.NumericEncoding}.");
            }
        }
    }

    /// <summary>Resolves every column against a real schema.</summary>
    /// <param name="schema">The data's schema.</param>
    /// <param name="columns">The requested columns.</param>
    /// <param name="parameterName">The parameter the errors name.</param>
    /// <param name="numericEncoding">The encoding of numeric columns that ask for none of their own.</param>
    public static ColumnRequest[] Resolve(DataViewSchema schema, IReadOnlyList<VaeColumn> columns, string parameterName, VaeNumericEncoding numericEncoding = VaeNumericEncoding.Auto)
    {
        CheckList(columns, parameterName);
        var requests = new ColumnRequest[columns.Count];
        for (var i = 0; i < columns.Count; i++)
        {
            var column = columns[i];
            var found = schema.GetColumnOrNull(column.Name)
                ?? throw new ArgumentOutOfRangeException(parameterName, $"Input column '{column.Name}' is not in the data.");
            if (!SourceType.TryFrom(found.Type, out var source, out var problem))
            {
                throw new ArgumentOutOfRangeException(parameterName, $"Input column '{column.Name}' {problem}.");
            }

            var kind = ResolveKind(column, source.Item, parameterName);
            CheckEncoding(column, kind, source.IsVector, parameterName);
            var encoding = column.NumericEncoding != VaeNumericEncoding.Auto ? column.NumericEncoding : numericEncoding;
            if (kind != VaeColumnKind.Numeric || source.IsVector)
            {
                encoding = VaeNumericEncoding.Standardize;
            }

            requests[i] = new ColumnRequest(column.Name, source, kind, column.Weight, encoding);
        }

        return requests;
    }

    /// <summary>Checks every column against a schema shape (before any data is seen).</summary>
    public static void Check(SchemaShape shape, IReadOnlyList<VaeColumn> columns, string parameterName)
    {
        CheckList(columns, parameterName);
        foreach (var column in columns)
        {
            if (!shape.TryFindColumn(column.Name, out var found))
            {
                throw new ArgumentOutOfRangeException(parameterName, $"Input column '{column.Name}' is not in the data.");
            }

            if (found.Kind == SchemaShape.Column.VectorKind.VariableVector)
            {
                throw new ArgumentOutOfRangeException(parameterName, $"Input column '{column.Name}' {SourceType.VariableSize(found.GetTypeString())}.");
            }

            var isVector = found.Kind == SchemaShape.Column.VectorKind.Vector;
            ItemKind item;
            if (found.IsKey)
            {
                item = ItemKind.Key;
            }
            else if (found.ItemType is TextDataViewType)
            {
                item = ItemKind.Text;
            }
            else if (found.ItemType is BooleanDataViewType)
            {
                item = ItemKind.Boolean;
            }
            else if (found.ItemType is NumberDataViewType)
            {
                item = ItemKind.Single; // any number: only "is it a number" matters here
            }
            else
            {
                throw new ArgumentOutOfRangeException(parameterName, $"Input column '{column.Name}' {SourceType.Unsupported(found.GetTypeString())}.");
            }

            if (isVector && item is ItemKind.Key or ItemKind.Text)
            {
                throw new ArgumentOutOfRangeException(parameterName, $"Input column '{column.Name}' {SourceType.VectorOfCategories(item, found.GetTypeString())}.");
            }

            CheckEncoding(column, ResolveKind(column, item, parameterName), isVector, parameterName);
        }
    }

    /// <summary>A column's own mode-specific encoding takes a scalar numeric column only.</summary>
    private static void CheckEncoding(VaeColumn column, VaeColumnKind kind, bool isVector, string parameterName)
    {
        if (column.NumericEncoding == VaeNumericEncoding.ModeSpecific && (kind != VaeColumnKind.Numeric || isVector))
        {
            throw new ArgumentOutOfRangeException(parameterName,
                $"Input column '{column.Name}' asks for the mode-specific encoding, which takes scalar numeric columns; it is {(isVector ? "a vector" : kind.ToString())}.");
        }
    }

    private static VaeColumnKind ResolveKind(VaeColumn column, ItemKind item, string parameterName)
    {
        var isNumber = item is not (ItemKind.Boolean or ItemKind.Text or ItemKind.Key);
        switch (column.Kind)
        {
            case VaeColumnKind.Auto:
                return item switch
                {
                    ItemKind.Boolean => VaeColumnKind.Binary,
                    ItemKind.Text or ItemKind.Key => VaeColumnKind.Categorical,
                    _ => VaeColumnKind.Numeric,
                };
            case VaeColumnKind.Numeric when !isNumber:
                throw new ArgumentOutOfRangeException(parameterName,
                    $"Input column '{column.Name}' is declared Numeric but holds {item} values.");
            case VaeColumnKind.Binary when !(isNumber || item == ItemKind.Boolean):
                throw new ArgumentOutOfRangeException(parameterName,
                    $"Input column '{column.Name}' is declared Binary but holds {item} values; Binary takes Booleans or numbers in [0, 1].");
            case VaeColumnKind.Categorical when item is not (ItemKind.Text or ItemKind.Key):
                throw new ArgumentOutOfRangeException(parameterName,
                    $"Input column '{column.Name}' is declared Categorical but holds {item} values; map numbers to keys first (MapValueToKey).");
            default:
                return column.Kind;
        }
    }
}
