using Microsoft.ML;
using Microsoft.ML.Data;

/// <summary>UCI Adult (census income) as ML.NET data views, read from the raw UCI files <c>adult.train.csv</c> and
/// <c>adult.test.csv</c>: no header, values separated by ", ", "?" for a missing category, and a test file whose
/// first line is not a record and whose labels end with a period.</summary>
internal static class AdultData
{
    /// <summary>The six numeric columns (loaded as <see cref="float"/>).</summary>
    public static readonly string[] NumericColumns = ["Age", "Fnlwgt", "EducationNum", "CapitalGain", "CapitalLoss", "HoursPerWeek"];

    /// <summary>The eight categorical columns (loaded as text; "?" stays a category of its own).</summary>
    public static readonly string[] CategoricalColumns = ["Workclass", "Education", "MaritalStatus", "Occupation", "Relationship", "Race", "Sex", "NativeCountry"];

    /// <summary>The fourteen feature columns in file order.</summary>
    public static readonly string[] FeatureColumns =
        ["Age", "Workclass", "Fnlwgt", "Education", "EducationNum", "MaritalStatus", "Occupation", "Relationship", "Race", "Sex", "CapitalGain", "CapitalLoss", "HoursPerWeek", "NativeCountry"];

    /// <summary>The label as written in the file: "&lt;=50K" or "&gt;50K" (with a trailing "." in the test file).</summary>
    public const string IncomeColumn = "Income";

    /// <summary>The label as a Boolean: true for an income above 50K.</summary>
    public const string LabelColumn = "Label";

    /// <summary>The default folder: <c>../shared/data/adult</c> beside the repository root.</summary>
    public static string DefaultFolder => SharedData.Folder("adult");

    /// <summary>The Adult examples' common arguments: the data folder (the first positional argument, else
    /// <see cref="DefaultFolder"/>) and <c>--train-rows N</c>, a cap on the training rows (at least 100).</summary>
    public static (string Folder, int? TrainRows) Arguments(ExampleArgs options) =>
        (options.Positional.Count > 0 ? options.Positional[0] : DefaultFolder,
         options.OptionalString("--train-rows") is null ? null : options.Int("--train-rows", 0, minimum: 100));

    /// <summary>Whether <paramref name="folder"/> exists; says so on standard error when it does not.</summary>
    public static bool FolderExists(string folder)
    {
        if (Directory.Exists(folder))
        {
            return true;
        }

        Console.Error.WriteLine($"Adult data folder not found: {folder}");
        return false;
    }

    /// <summary>Loads the training and test files of <paramref name="folder"/>, the training file cut to its first
    /// <paramref name="trainRows"/> rows if given, and adds the Boolean <see cref="LabelColumn"/>.</summary>
    public static (IDataView Train, IDataView Test) Load(MLContext ml, string folder, int? trainRows = null)
    {
        var trainPath = Path.Combine(folder, "adult.train.csv");
        var testPath = Path.Combine(folder, "adult.test.csv");
        foreach (var path in new[] { trainPath, testPath })
        {
            if (!File.Exists(path))
            {
                throw new FileNotFoundException($"Adult data file not found: {path} (expected the UCI files adult.train.csv and adult.test.csv)", path);
            }
        }

        var train = Loader(ml, hasHeader: false).Load(trainPath);
        if (trainRows is { } rows)
        {
            train = ml.Data.TakeRows(train, rows);
        }

        // The test file's first line, "|1x3 Cross validator", is not a record: skip it as if it were a header.
        var test = Loader(ml, hasHeader: true).Load(testPath);
        var label = ml.Transforms.Conversion.MapValue(
            LabelColumn,
            new[]
            {
                new KeyValuePair<string, bool>("<=50K", false),
                new KeyValuePair<string, bool>(">50K", true),
                new KeyValuePair<string, bool>("<=50K.", false),
                new KeyValuePair<string, bool>(">50K.", true),
            },
            IncomeColumn);
        return (label.Fit(train).Transform(train), label.Fit(test).Transform(test));
    }

    private static TextLoader Loader(MLContext ml, bool hasHeader)
    {
        var columns = FeatureColumns.Append(IncomeColumn)
            .Select((name, index) => new TextLoader.Column(name, NumericColumns.Contains(name) ? DataKind.Single : DataKind.String, index))
            .ToArray();

        // Split on commas and trim the space that follows each one; the empty line at the end of each file is skipped.
        return ml.Data.CreateTextLoader(new TextLoader.Options
        {
            Separators = [','],
            TrimWhitespace = true,
            HasHeader = hasHeader,
            Columns = columns,
        });
    }
}

/// <summary>One Adult record with its raw values, for reading rows back with <c>CreateEnumerable</c>.</summary>
internal class AdultRow
{
    public float Age { get; set; }

    public string Workclass { get; set; } = string.Empty;

    public float Fnlwgt { get; set; }

    public string Education { get; set; } = string.Empty;

    public float EducationNum { get; set; }

    public string MaritalStatus { get; set; } = string.Empty;

    public string Occupation { get; set; } = string.Empty;

    public string Relationship { get; set; } = string.Empty;

    public string Race { get; set; } = string.Empty;

    public string Sex { get; set; } = string.Empty;

    public float CapitalGain { get; set; }

    public float CapitalLoss { get; set; }

    public float HoursPerWeek { get; set; }

    public string NativeCountry { get; set; } = string.Empty;

    public string Income { get; set; } = string.Empty;

    public override string ToString() =>
        $"{Age:F0}, {Workclass}, fnlwgt {Fnlwgt:F0}, {Education} ({EducationNum:F0}), {MaritalStatus}, {Occupation}, {Relationship}, {Race}, {Sex}, gain {CapitalGain:F0}, loss {CapitalLoss:F0}, {HoursPerWeek:F0} h/week, {NativeCountry}, {Income}";
}
