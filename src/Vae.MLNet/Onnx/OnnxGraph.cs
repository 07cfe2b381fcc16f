using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Model.OnnxConverter;

namespace Vae.MLNet.Onnx;

/// <summary>The model's nodes in ML.NET's ONNX context: each call adds one node (or one constant) and returns the
/// name of its output. Every name the model adds starts with a prefix that no column of the output schema starts
/// with: ML.NET's context tracks columns and variables by one name map, so a name equal to a column's would take the
/// column's place.</summary>
internal sealed class OnnxGraph
{
    /// <summary>The domain of ONNX's traditional machine-learning operators (LabelEncoder).</summary>
    public const string MLDomain = "ai.onnx.ml";

    private readonly OnnxContext _context;
    private readonly string _prefix;

    public OnnxGraph(OnnxContext context, DataViewSchema outputSchema)
    {
        _context = context;
        var prefix = "Vae.";
        while (outputSchema.Any(c => c.Name.StartsWith(prefix, StringComparison.Ordinal)))
        {
            prefix = "_" + prefix;
        }

        _prefix = prefix;
    }

    /// <summary>Adds a node of the default domain and returns its one output.</summary>
    public string Op(string op, string hint, params string[] inputs) => Op(op, hint, inputs, null);

    /// <summary>Adds a node, sets its attributes and returns its one output.</summary>
    public string Op(string op, string hint, string[] inputs, Action<OnnxNode>? attributes, string domain = "")
    {
        var output = _context.AddIntermediateVariable(null!, _prefix + hint, true);
        var node = _context.CreateNode(op, inputs, [output], _context.GetNodeName(_prefix + op), domain);
        attributes?.Invoke(node);
        return output;
    }

    /// <summary>Binds an output column of the view to a value of the graph.</summary>
    public void Bind(string column, DataViewType type, string value)
    {
        var output = _context.AddIntermediateVariable(type, column);
        _context.CreateNode("Identity", value, output, _context.GetNodeName(_prefix + "Identity"), "");
    }

    public string Floats(float[] values, string hint) => _context.AddInitializer(values, [values.Length], _prefix + hint);

    /// <summary>A row-major matrix of floats.</summary>
    public string Matrix(float[] values, int rows, int columns, string hint) => _context.AddInitializer(values, [rows, columns], _prefix + hint);

    public string Doubles(double[] values, string hint) => _context.AddInitializer(values, [values.Length], _prefix + hint);

    public string Longs(long[] values, string hint) => _context.AddInitializer(values, [values.Length], _prefix + hint);

    public string Float(float value, string hint) => _context.AddInitializer(value, _prefix + hint);

    public string Double(double value, string hint) => _context.AddInitializer(value, _prefix + hint);

    public string Long(long value, string hint) => _context.AddInitializer(value, _prefix + hint);

    public string Cast(string input, Type to, string hint) => Op("Cast", hint, [input], n => n.AddAttribute("to", to));

    /// <summary>The features at <paramref name="positions"/> of a [rows, width] value, in that order.</summary>
    public string Columns(string input, IEnumerable<int> positions, string hint) =>
        Op("Gather", hint, [input, Longs(positions.Select(p => (long)p).ToArray(), hint + ".Positions")], n => n.AddAttribute("axis", 1L));

    /// <summary>The sum over features of a [rows, width] value, as [rows, 1].</summary>
    public string RowSum(string input, string hint) => Reduce("ReduceSum", input, hint);

    /// <summary>A reduction over features of a [rows, width] value, as [rows, 1].</summary>
    public string Reduce(string op, string input, string hint) =>
        Op(op, hint, [input], n =>
        {
            n.AddAttribute("axes", new long[] { 1 });
            n.AddAttribute("keepdims", 1L);
        });

    /// <summary>Joins [rows, *] values along the features.</summary>
    public string Concat(IReadOnlyList<string> inputs, string hint) =>
        inputs.Count == 1 ? inputs[0] : Op("Concat", hint, [.. inputs], n => n.AddAttribute("axis", 1L));

    /// <summary>A float 1 where a Boolean is true, else 0.</summary>
    public string Indicator(string condition, string hint) => Cast(condition, typeof(float), hint);
}
