using System.Globalization;
using System.Text;
using Microsoft.ML;
using Microsoft.ML.Data;

/// <summary>One column of a CSV table: its name, position and whether every value read is a number.</summary>
internal sealed record CsvColumn(string Name, int Index, bool Numeric);

/// <summary>Works out a CSV table's separator and column types from its header and first rows, so that ML.NET's
/// <c>TextLoader</c> can read it: a column is numeric when each of its non-empty values in the first
/// <see cref="SampleRows"/> rows parses as a number, and categorical (text) otherwise.</summary>
internal static class CsvTable
{
    public const int SampleRows = 1000;

    private static readonly char[] Separators = [',', ';', '\t'];

    public static (char Separator, CsvColumn[] Columns) Infer(string path)
    {
        using var reader = new StreamReader(path);
        var header = reader.ReadLine() ?? throw new ArgumentException($"{path} is empty; a header row is expected");
        var separator = Separators.OrderByDescending(c => Split(header, c).Count).First();
        var names = Split(header, separator).Select(n => n.Trim()).ToArray();
        if (names.Any(string.IsNullOrEmpty) || names.Distinct().Count() != names.Length)
        {
            throw new ArgumentException($"{path}: the header row must name every column once: {header}");
        }

        var numeric = Enumerable.Repeat(true, names.Length).ToArray();
        var rows = 0;
        for (var line = reader.ReadLine(); line is not null && rows < SampleRows; line = reader.ReadLine())
        {
            if (line.Length == 0)
            {
                continue;
            }

            rows++;
            var values = Split(line, separator);
            for (var i = 0; i < names.Length && i < values.Count; i++)
            {
                var value = values[i].Trim();
                numeric[i] &= value.Length == 0 || double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out _);
            }
        }

        if (rows == 0)
        {
            throw new ArgumentException($"{path} has a header but no rows");
        }

        return (separator, names.Select((n, i) => new CsvColumn(n, i, numeric[i])).ToArray());
    }

    /// <summary>Each row's score and its values in <paramref name="columns"/> (numbers or text) as one string.</summary>
    public static List<(float Score, string Values)> Rows(IDataView view, string[] columns, string scoreColumn)
    {
        var rows = new List<(float, string)>();
        var wanted = columns.Append(scoreColumn).Select(c => view.Schema[c]).ToArray();
        using var cursor = view.GetRowCursor(wanted);
        var getters = columns.Select(c => Getter(cursor, view.Schema[c])).ToArray();
        var score = cursor.GetGetter<float>(view.Schema[scoreColumn]);
        float value = 0;
        while (cursor.MoveNext())
        {
            score(ref value);
            rows.Add((value, string.Join(", ", columns.Select((c, i) => $"{c} {getters[i]()}"))));
        }

        return rows;
    }

    private static Func<string> Getter(DataViewRowCursor cursor, DataViewSchema.Column column)
    {
        if (column.Type is TextDataViewType)
        {
            var text = cursor.GetGetter<ReadOnlyMemory<char>>(column);
            ReadOnlyMemory<char> value = default;
            return () =>
            {
                text(ref value);
                return value.ToString();
            };
        }

        var number = cursor.GetGetter<float>(column);
        float x = 0;
        return () =>
        {
            number(ref x);
            return x.ToString("G6", CultureInfo.InvariantCulture);
        };
    }

    /// <summary>Splits a line on <paramref name="separator"/>, honouring double quotes ("" inside quotes is a quote).</summary>
    private static List<string> Split(string line, char separator)
    {
        var values = new List<string>();
        var current = new StringBuilder();
        var quoted = false;
        for (var i = 0; i < line.Length; i++)
        {
            var c = line[i];
            if (c == '"' && quoted && i + 1 < line.Length && line[i + 1] == '"')
            {
                current.Append('"');
                i++;
            }
            else if (c == '"')
            {
                quoted = !quoted;
            }
            else if (c == separator && !quoted)
            {
                values.Add(current.ToString());
                current.Clear();
            }
            else
            {
                current.Append(c);
            }
        }

        values.Add(current.ToString());
        return values;
    }
}
