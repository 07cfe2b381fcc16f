using Microsoft.ML;
using Microsoft.ML.Runtime;

namespace Vae.MLNet.Internals;

/// <summary>ML.NET members that are internal in ML.NET 5, for this library's tests and benchmarks.</summary>
internal static class MLNetInterop
{
    /// <summary>What <c>MLContext.CancelExecution()</c> does: every host of the context fails its next CheckAlive.</summary>
    public static void CancelExecution(MLContext context) => context.CancelExecution();

    /// <summary><c>SchemaShape.Create</c>: the shape of a real schema.</summary>
    public static SchemaShape ShapeOf(DataViewSchema schema) => SchemaShape.Create(schema);

    /// <summary><c>SchemaShape.TryFindColumn</c>.</summary>
    public static bool TryFindColumn(SchemaShape shape, string name, out SchemaShape.Column column) => shape.TryFindColumn(name, out column);

    /// <summary><c>SchemaShape.Column.IsCompatibleWith</c>.</summary>
    public static bool IsCompatibleWith(SchemaShape.Column column, SchemaShape.Column other) => column.IsCompatibleWith(other);

    /// <summary>Whether the context was cancelled.</summary>
    public static bool IsCanceled(IHostEnvironment environment) => ((ICancelable)environment).IsCanceled;
}
