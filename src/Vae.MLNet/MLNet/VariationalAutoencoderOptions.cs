namespace Vae.MLNet;

/// <summary>Everything a <see cref="VariationalAutoencoderEstimator"/> can be told. Each default is defined once, in
/// <see cref="VariationalAutoencoderEstimator.Defaults"/>.</summary>
public sealed class VariationalAutoencoderOptions
{
    /// <summary>The output column: the posterior mean E[z|x], a vector of <see cref="LatentDimension"/> floats.</summary>
    public string OutputColumnName { get; set; } = VariationalAutoencoderEstimator.Defaults.OutputColumnName;

    /// <summary>The input columns, each with its kind and loss weight. A string converts to a column of inferred kind
    /// and weight 1.</summary>
    public IList<VaeColumn> Columns { get; set; } = new List<VaeColumn>();

    /// <summary>Size of the latent space (default 8).</summary>
    public int LatentDimension { get; set; } = VariationalAutoencoderEstimator.Defaults.LatentDimension;

    /// <summary>Hidden layer sizes of the encoder; the decoder mirrors them (default 128, 128, as TVAE).</summary>
    public IList<int> HiddenLayers { get; set; } = VariationalAutoencoderEstimator.Defaults.HiddenLayers.ToList();

    /// <summary>Activation after each hidden layer (default ReLU).</summary>
    public VaeActivation Activation { get; set; } = VariationalAutoencoderEstimator.Defaults.Activation;

    /// <summary>Dropout after each hidden layer during training, in [0, 1) (default 0).</summary>
    public double Dropout { get; set; } = VariationalAutoencoderEstimator.Defaults.Dropout;

    /// <summary>Passes over the training data (default 30).</summary>
    public int Epochs { get; set; } = VariationalAutoencoderEstimator.Defaults.Epochs;

    /// <summary>Rows per optimisation step (default 256).</summary>
    public int BatchSize { get; set; } = VariationalAutoencoderEstimator.Defaults.BatchSize;

    /// <summary>Adam's learning rate (default 1e-3).</summary>
    public double LearningRate { get; set; } = VariationalAutoencoderEstimator.Defaults.LearningRate;

    /// <summary>Adam's weight decay (default 1e-5, as TVAE).</summary>
    public double WeightDecay { get; set; } = VariationalAutoencoderEstimator.Defaults.WeightDecay;

    /// <summary>Largest gradient norm per step; larger gradients are scaled down. 0 turns clipping off (default 5).</summary>
    public double GradientClipNorm { get; set; } = VariationalAutoencoderEstimator.Defaults.GradientClipNorm;

    /// <summary>Fraction of rows held out to measure validation loss each epoch, in [0, 1) (default 0: none). With
    /// validation, training stops early when the validation loss has not improved for
    /// <see cref="EarlyStoppingPatience"/> epochs, and the best epoch's weights are kept.</summary>
    public double ValidationFraction { get; set; } = VariationalAutoencoderEstimator.Defaults.ValidationFraction;

    /// <summary>Epochs without validation improvement before training stops (default 10).</summary>
    public int EarlyStoppingPatience { get; set; } = VariationalAutoencoderEstimator.Defaults.EarlyStoppingPatience;

    /// <summary>The KL weight beta (default 1: the evidence lower bound). Below 1 favours reconstruction, above 1 a
    /// smoother, more disentangled latent space (beta-VAE).</summary>
    public double Beta { get; set; } = VariationalAutoencoderEstimator.Defaults.Beta;

    /// <summary>Use beta_norm = beta * latent size / input width (Higgins et al. 2017) as the KL weight, so one beta
    /// means the same across tables of different widths (default false).</summary>
    public bool NormalizeBeta { get; set; }

    /// <summary>KL annealing: how the KL weight moves from 0 to beta during training (default constant).</summary>
    public VaeKlSchedule KlSchedule { get; set; } = VariationalAutoencoderEstimator.Defaults.KlSchedule;

    /// <summary>Length in epochs of the linear or sigmoid warm-up (default 10).</summary>
    public double AnnealingEpochs { get; set; } = VariationalAutoencoderEstimator.Defaults.AnnealingEpochs;

    /// <summary>Number of cycles of the cyclical schedule over the whole training (default 4).</summary>
    public int AnnealingCycles { get; set; } = VariationalAutoencoderEstimator.Defaults.AnnealingCycles;

    /// <summary>Fraction of each cycle spent ramping up, in (0, 1] (default 0.5, as Fu et al.).</summary>
    public double CycleRampFraction { get; set; } = VariationalAutoencoderEstimator.Defaults.CycleRampFraction;

    /// <summary>Free bits: each latent dimension's KL counts at least this many nats in the objective, so the model
    /// gains nothing by collapsing a dimension below it (Kingma et al. 2016; default 0: off).</summary>
    public double FreeBits { get; set; } = VariationalAutoencoderEstimator.Defaults.FreeBits;

    /// <summary>Reconstruction loss of numeric columns (default squared error).</summary>
    public VaeNumericLoss NumericLoss { get; set; } = VariationalAutoencoderEstimator.Defaults.NumericLoss;

    /// <summary>How numeric columns that ask for no encoding of their own (<see cref="VaeColumn.NumericEncoding"/>) are
    /// encoded (default <see cref="VaeNumericEncoding.Auto"/>: mode-specific where a scalar column has point masses
    /// or several modes, standardised otherwise).</summary>
    public VaeNumericEncoding NumericEncoding { get; set; } = VariationalAutoencoderEstimator.Defaults.NumericEncoding;

    /// <summary>How per-feature reconstruction terms add up (default <see cref="VaeReconstructionReduction.Sum"/>).</summary>
    public VaeReconstructionReduction Reduction { get; set; } = VariationalAutoencoderEstimator.Defaults.Reduction;

    /// <summary>Text categorical columns keep at most this many of their most frequent categories; the rest share
    /// one "other" bucket with categories first seen at transform time (default 100).</summary>
    public int MaxCategories { get; set; } = VariationalAutoencoderEstimator.Defaults.MaxCategories;

    /// <summary>Seed of initialisation, shuffling and sampling; null takes the MLContext's seed. Training on CPU is
    /// reproducible for a given seed.</summary>
    public int? Seed { get; set; }

    /// <summary>If set, an output column with the posterior log-variance (vector of latent size).</summary>
    public string? LogVarianceColumnName { get; set; }

    /// <summary>If set, an output column with each row's anomaly score: the negative evidence lower bound at the
    /// posterior mean, i.e. weighted reconstruction loss of x decoded from E[z|x] plus KL(q(z|x) || N(0, I)).
    /// Higher is more unusual.</summary>
    public string? ScoreColumnName { get; set; }

    /// <summary>If set, an output column with each row's weighted reconstruction loss alone (the score without KL).</summary>
    public string? ReconstructionErrorColumnName { get; set; }

    /// <summary>If set, an output column with each input column's weighted reconstruction loss (a vector with one slot
    /// per input column, named after it): which columns make a row unusual. Its slots add up to
    /// <see cref="ReconstructionErrorColumnName"/>'s value.</summary>
    public string? ColumnErrorsColumnName { get; set; }

    /// <summary>If set, every input column gets an output column named after it with this suffix (e.g.
    /// "Reconstructed": "Age" gives "AgeReconstructed"), holding its value decoded from the posterior mean, in the
    /// input column's own type: numbers de-standardised (integers rounded), categories as their text or key (the most
    /// likely one), binary columns as Booleans or, for floating-point columns, the probability of 1.</summary>
    public string? ReconstructedColumnSuffix { get; set; }

    /// <summary>If set, every input column gets an output column named after it with this suffix, holding the input
    /// value where it is observed and the reconstructed value where it is missing (see
    /// <see cref="AllowMissingValues"/>). An empty suffix replaces the input columns with their imputed versions.</summary>
    public string? ImputedColumnSuffix { get; set; }

    /// <summary>Treat missing values as missing instead of rejecting them (HI-VAE style, Nazabal et al. 2020): NaN in
    /// numeric and binary columns, key value 0 and the texts in <see cref="MissingTextValues"/> in categorical
    /// columns. A missing value is left out of the statistics learned at fit and of the reconstruction loss, and is
    /// given to the encoder as its column's mean (or no category) together with a missing-value indicator, so
    /// <c>Fit</c> and <c>Transform</c> work on incomplete rows. Default false: a missing value stops <c>Fit</c> and
    /// <c>Transform</c> with an exception naming the column and row.</summary>
    public bool AllowMissingValues { get; set; }

    /// <summary>The probability, in [0, 1), that training hides an observed cell from the encoder (each column of each
    /// row independently), as if it were missing (default 0: none). The encoder then learns the posterior of any subset
    /// of the columns, which conditional generation (<see cref="VariationalAutoencoderTransformer.Generate(int,
    /// IEnumerable{VaeCondition}, int)"/>) infers from; 0.3 to 0.5 suits it. Needs <see cref="AllowMissingValues"/>,
    /// whose missing-value indicators tell the encoder which cells it does not see.</summary>
    public double MaskingRate { get; set; } = VariationalAutoencoderEstimator.Defaults.MaskingRate;

    /// <summary>Texts that mean "missing" in text categorical columns when <see cref="AllowMissingValues"/> is set
    /// (default: the empty string and "?").</summary>
    public IList<string> MissingTextValues { get; set; } = VariationalAutoencoderEstimator.Defaults.MissingTextValues.ToList();

    /// <summary>How <c>Fit</c> reads the training data after the statistics pass: held in memory as one encoded
    /// table, or streamed (read and encoded again every epoch, memory flat in the number of rows). The default,
    /// <see cref="VaeDataLoading.Auto"/>, streams when the encoded table (rows x encoded width x 4 bytes) would take more
    /// than a quarter of the memory available to the process. Streamed batches are shuffled through a bounded buffer
    /// (at most 64 MiB or 65,536 rows), so a table sorted by some column trains better in memory or shuffled first;
    /// its validation rows are spread evenly over the reading order. A streamed source must give the same rows on
    /// every reading: one that changes or can be read only once is refused with a message.</summary>
    public VaeDataLoading DataLoading { get; set; } = VariationalAutoencoderEstimator.Defaults.DataLoading;

    /// <summary>TorchSharp's CPU threads during <c>Fit</c>, as ML.NET's trainers' <c>NumberOfThreads</c>; null (the
    /// default) chooses by the network's size: one thread below
    /// <see cref="VariationalAutoencoderEstimator.Defaults.ThreadedMultiplyAdds"/> multiply-adds per batch, where more
    /// threads gain little on a quiet machine and lose many times over on a busy one, and every core above. The count
    /// is set for the duration of <c>Fit</c> and restored after, but TorchSharp's setting is process-wide: fits and
    /// other TorchSharp work running at the same time on other threads share it (the latest fit's count holds while
    /// fits overlap, and the last to finish restores the count the first one found). Inference (<c>Transform</c>,
    /// <c>Decode</c>, <c>Generate</c>) does not use TorchSharp and is not affected.</summary>
    public int? NumberOfThreads { get; set; }

    /// <summary>Receives each epoch's figures during <c>Fit</c> (they also go to <c>MLContext.Log</c>).</summary>
    public IProgress<VaeEpochResult>? Progress { get; set; }

    /// <summary>A copy nobody else holds, its lists copied into read-only arrays: what an estimator keeps, so that a
    /// change to the caller's options after the estimator was built changes nothing.</summary>
    internal VariationalAutoencoderOptions Snapshot()
    {
        var copy = (VariationalAutoencoderOptions)MemberwiseClone();
        copy.Columns = Array.AsReadOnly(Columns?.ToArray() ?? []);
        copy.HiddenLayers = Array.AsReadOnly(HiddenLayers?.ToArray() ?? []);
        copy.MissingTextValues = Array.AsReadOnly(MissingTextValues?.ToArray() ?? []);
        return copy;
    }
}
