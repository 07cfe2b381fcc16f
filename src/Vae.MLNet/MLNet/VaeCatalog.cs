using Microsoft.ML.Data;
using Vae.MLNet;

namespace Microsoft.ML;

/// <summary>The variational autoencoder in ML.NET's transforms catalog: <c>mlContext.Transforms.VariationalAutoencoder(...)</c>.</summary>
public static class VaeCatalog
{
    /// <summary>Fits a variational autoencoder on the input columns and appends the posterior mean of each row as a
    /// float vector of <paramref name="latentDimension"/> features. Column kinds are inferred from their types: numbers
    /// are numeric, Booleans binary, keys and text categorical.</summary>
    /// <param name="catalog">The transforms catalog.</param>
    /// <param name="outputColumnName">The latent-mean output column.</param>
    /// <param name="inputColumnNames">The input columns.</param>
    /// <param name="latentDimension">Size of the latent space.</param>
    /// <example><code>
    /// var pipeline = mlContext.Transforms.VariationalAutoencoder("Latent", ["Age", "Income", "City"], latentDimension: 4);
    /// </code></example>
    public static VariationalAutoencoderEstimator VariationalAutoencoder(
        this TransformsCatalog catalog,
        string outputColumnName,
        string[] inputColumnNames,
        int latentDimension = VariationalAutoencoderEstimator.Defaults.LatentDimension)
    {
        ArgumentNullException.ThrowIfNull(inputColumnNames);
        return VariationalAutoencoder(catalog, new VariationalAutoencoderOptions
        {
            OutputColumnName = outputColumnName,
            Columns = inputColumnNames.Select(n => new VaeColumn(n)).ToList(),
            LatentDimension = latentDimension,
        });
    }

    /// <summary>Fits a variational autoencoder with every option available: column kinds and weights, architecture,
    /// KL weight and annealing, reductions, validation and early stopping, extra outputs.</summary>
    /// <param name="catalog">The transforms catalog.</param>
    /// <param name="options">The options; invalid values throw <see cref="ArgumentOutOfRangeException"/> here.</param>
    public static VariationalAutoencoderEstimator VariationalAutoencoder(this TransformsCatalog catalog, VariationalAutoencoderOptions options)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new VariationalAutoencoderEstimator(((IInternalCatalog)catalog).Environment, options);
    }
}
