using TorchSharp;
using Vae.MLNet.Columns;
using static TorchSharp.torch;

namespace Vae.MLNet.Training;

/// <summary>Hides observed cells from the encoder at random during training (each column of each row with the same
/// probability): the cell becomes missing, its features zero and its missing-value indicators one, as in the partial
/// VAE of Ma et al. 2019 (EDDI) and HI-VAE. The loss then counts only the cells the encoder saw, so the encoder learns
/// the posterior of any subset of the columns, q(z | observed part): what conditional generation infers from.</summary>
internal sealed class CellMasking : IDisposable
{
    private readonly int _width;
    private readonly int _indicators;
    private readonly int _columns;
    private readonly Tensor _featureColumn;
    private readonly Tensor _indicatorColumn;
    private readonly Scalar _rate;
    private readonly Generator _generator;

    /// <param name="encoding">The encoding; it must have missing-value indicators.</param>
    /// <param name="rate">The probability that a cell is hidden, in (0, 1).</param>
    /// <param name="seed">Seed of the masks.</param>
    /// <param name="device">Where the batches are.</param>
    public CellMasking(ColumnEncoding encoding, double rate, int seed, Device device)
    {
        if (!encoding.AllowsMissing)
        {
            throw new InvalidOperationException("Masking cells needs the missing-value indicators of AllowMissingValues.");
        }

        _width = encoding.Width;
        _indicators = encoding.InputWidth - encoding.Width;
        _columns = encoding.Columns.Count;
        var featureColumn = new long[_width];
        var indicatorColumn = new long[_indicators];
        for (var c = 0; c < _columns; c++)
        {
            var column = encoding.Columns[c];
            for (var i = 0; i < column.Width; i++)
            {
                featureColumn[column.Offset + i] = c;
            }

            for (var i = 0; i < ColumnEncoding.IndicatorCount(column); i++)
            {
                indicatorColumn[encoding.IndicatorOffsets[c] - _width + i] = c;
            }
        }

        _featureColumn = tensor(featureColumn, device: device);
        _indicatorColumn = tensor(indicatorColumn, device: device);
        _rate = rate.ToScalar();
        _generator = new Generator((ulong)seed + 3, device);
    }

    /// <summary>The batch with cells hidden at random (a new tensor of the current dispose scope).</summary>
    public Tensor Apply(Tensor x)
    {
        var rows = x.shape[0];
        using var hidden = rand([rows, _columns], generator: _generator, device: x.device).lt(_rate).to_type(x.dtype);
        using var featureMask = hidden.index_select(1, _featureColumn);
        using var indicatorMask = hidden.index_select(1, _indicatorColumn);
        using var features = x.narrow(1, 0, _width);
        using var indicators = x.narrow(1, _width, _indicators);
        using var kept = featureMask.neg().add_(Objective.TorchScalars.One, Objective.TorchScalars.One);
        using var maskedFeatures = features.mul(kept);
        using var maskedIndicators = indicators.maximum(indicatorMask);
        return cat([maskedFeatures, maskedIndicators], 1);
    }

    public void Dispose()
    {
        _featureColumn.Dispose();
        _indicatorColumn.Dispose();
        _rate.Dispose();
        _generator.Dispose();
    }
}
