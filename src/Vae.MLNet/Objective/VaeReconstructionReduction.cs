namespace Vae.MLNet;

/// <summary>How each column's per-feature reconstruction terms are added up.</summary>
public enum VaeReconstructionReduction
{
    /// <summary>Summed over all features, the Keras/PyTorch convention and the scale of the evidence lower bound
    /// (the default). A categorical column contributes its cross-entropy once, whatever its number of categories;
    /// a vector column contributes one term per slot.</summary>
    Sum = 0,

    /// <summary>Each column's terms averaged over its own features, so every column counts once whatever its width:
    /// a 784-slot vector column or a 30-category column weighs as much as a single number.</summary>
    ColumnMean,
}
