using Vae.MLNet.Columns;
using static TorchSharp.torch;

namespace Vae.MLNet.Objective;

/// <summary>Where each column's loss terms live in the encoded vector, as index tensors on the training device, so
/// the objective runs a fixed handful of tensor operations whatever the number of columns.</summary>
internal sealed class LossLayout : IDisposable
{
    private readonly List<Tensor> _owned = [];

    public LossLayout(ColumnEncoding encoding, VaeReconstructionReduction reduction, Device device)
    {
        ColumnCount = encoding.Columns.Count;
        Width = encoding.Width;
        MaskIndex = encoding.AllowsMissing ? Own(tensor(encoding.FeatureIndicators(), device: device)) : null;
        var numeric = new Features();
        var binary = new Features();
        var categorical = new List<SoftmaxSpan>();
        for (var c = 0; c < encoding.Columns.Count; c++)
        {
            var column = encoding.Columns[c];
            var scale = LossKernels.LossScale(column, reduction);
            switch (column.Kind)
            {
                case VaeColumnKind.Numeric when column.Modes is not null:
                    // The standardised value and the place within the component, then the component as a categorical span.
                    numeric.Add(column.Offset, 2, c, scale);
                    categorical.Add(new SoftmaxSpan(column.Offset + 2, column.Width - 2, c, scale));
                    break;
                case VaeColumnKind.Numeric:
                    numeric.Add(column.Offset, column.Width, c, scale);
                    break;
                case VaeColumnKind.Binary:
                    binary.Add(column.Offset, column.Width, c, scale);
                    break;
                default:
                    categorical.Add(new SoftmaxSpan(column.Offset, column.Width, c, scale));
                    break;
            }
        }

        Numeric = numeric.ToTensors(this, device);
        Binary = binary.ToTensors(this, device);
        (PointIndex, PointSlots) = PointPositions(encoding, device);

        Categorical = Group(categorical).Select(g => MakeGroup(g, device)).ToArray();
    }

    /// <summary>A softmax span of the encoded vector: a categorical column, or a mode-specific column's components.</summary>
    internal readonly record struct SoftmaxSpan(int Offset, int Width, int Column, float Scale);

    /// <summary>Extra padded positions per row that a group may take beyond twice its columns' own widths: below
    /// this, the work of a padded softmax costs less than the dozen tensor operations of one more group.</summary>
    internal const int GroupSlack = 256;

    public int ColumnCount { get; }

    /// <summary>Width of the reconstruction target (the encoded features).</summary>
    public int Width { get; }

    /// <summary>When missing values are allowed: for each feature, the input position of its missing indicator.</summary>
    public Tensor? MaskIndex { get; }

    /// <summary>Splits an encoder-input batch into the reconstruction target and the observed-value mask (null when
    /// missing values are not allowed). Both belong to the caller's dispose scope.</summary>
    public (Tensor Target, Tensor? Mask) TargetAndMask(Tensor x) =>
        MaskIndex is null ? (x, null) : (x.narrow(1, 0, Width), x.index_select(1, MaskIndex).neg().add(TorchScalars.One, TorchScalars.One));

    public FeatureTensors? Numeric { get; }

    /// <summary>Per numeric feature, <see cref="PointSlots"/> positions of the encoded vector whose one-hot says the
    /// value is a point mass (a mode-specific column's points; <see cref="Width"/>, a zero column, where there are
    /// fewer); null when no column has a point mass.</summary>
    public Tensor? PointIndex { get; }

    /// <summary>Point positions per numeric feature in <see cref="PointIndex"/>.</summary>
    public int PointSlots { get; }

    /// <summary>Per row and numeric feature, 1 where the value is not a point mass (its place within a Gaussian
    /// component means something) and 0 where it is; null when no column has a point mass. The noise estimate counts
    /// the former only: a point mass has no spread, and its place (always 0) would make the spread look smaller.</summary>
    public Tensor? Continuous(Tensor target)
    {
        if (PointIndex is null)
        {
            return null;
        }

        var rows = target.shape[0];
        using var padded = cat([target, zeros([rows, 1], dtype: target.dtype, device: target.device)], 1);
        using var points = padded.index_select(1, PointIndex).view(rows, -1, PointSlots).sum([2]);
        return points.neg().add(TorchScalars.One, TorchScalars.One);
    }

    private (Tensor? Index, int Slots) PointPositions(ColumnEncoding encoding, Device device)
    {
        var slots = encoding.Columns.Max(c => c.Modes?.Points.Length ?? 0);
        if (slots == 0)
        {
            return (null, 0);
        }

        var index = new List<long>();
        foreach (var column in encoding.Columns.Where(c => c.Kind == VaeColumnKind.Numeric))
        {
            for (var i = 0; i < column.NumericFeatures; i++)
            {
                // Only a mode-specific column's place (its second feature) has no meaning on a point mass.
                var points = i == 1 ? column.Modes?.Points.Length ?? 0 : 0;
                for (var k = 0; k < slots; k++)
                {
                    index.Add(k < points ? column.Offset + 2 + k : Width);
                }
            }
        }

        return (Own(tensor(index.ToArray(), device: device)), slots);
    }

    public FeatureTensors? Binary { get; }

    public IReadOnlyList<CategoricalGroup> Categorical { get; }

    /// <summary>Positions, owning columns and scale of the element-wise features of one kind. When the positions are
    /// one run of consecutive features, <paramref name="Start"/> is the first (and the objective takes a view instead
    /// of gathering a copy); otherwise -1.</summary>
    internal sealed record FeatureTensors(Tensor Positions, Tensor Columns, Tensor Scales, int Start, int Count)
    {
        /// <summary>This kind's features of each row of <paramref name="batch"/> (batch x width): the batch itself
        /// when they are all of it, a view when they are consecutive, a gathered copy otherwise.</summary>
        public Tensor Select(Tensor batch)
        {
            if (Start < 0)
            {
                return batch.index_select(1, Positions);
            }

            return Start == 0 && Count == batch.shape[1] ? batch : batch.narrow(1, Start, Count);
        }
    }

    /// <summary>Categorical columns of similar width: a (columns x maxWidth) index into the encoded vector, the
    /// padding mask, the owning column of each row, and each column's scale.</summary>
    internal sealed record CategoricalGroup(Tensor Gather, Tensor? Padding, int Count, int MaxWidth, Tensor Columns, Tensor Scales);

    /// <summary>Categorical columns in groups of similar width, each group one padded softmax: a few operations for
    /// any number of columns. Columns join a group in order of width while the padded group (columns x widest) stays
    /// within twice the columns' own widths plus <see cref="GroupSlack"/>; a typical table's categoricals (tens of
    /// categories each) make one group.</summary>
    internal static List<SoftmaxSpan[]> Group(IEnumerable<SoftmaxSpan> categorical)
    {
        var groups = new List<SoftmaxSpan[]>();
        var current = new List<SoftmaxSpan>();
        var widths = 0;
        foreach (var member in categorical.OrderBy(p => p.Width).ThenBy(p => p.Offset))
        {
            var width = member.Width;
            if (current.Count > 0 && (long)(current.Count + 1) * width > (2L * (widths + width)) + GroupSlack)
            {
                groups.Add([.. current]);
                current.Clear();
                widths = 0;
            }

            current.Add(member);
            widths += width;
        }

        if (current.Count > 0)
        {
            groups.Add([.. current]);
        }

        return groups;
    }

    private Tensor Own(Tensor tensor)
    {
        _owned.Add(tensor);
        return tensor;
    }

    private CategoricalGroup MakeGroup(SoftmaxSpan[] members, Device device)
    {
        var maxWidth = members.Max(m => m.Width);
        var gather = new long[members.Length * maxWidth];
        var padding = new bool[gather.Length];
        var padded = false;
        for (var i = 0; i < members.Length; i++)
        {
            for (var k = 0; k < maxWidth; k++)
            {
                var inside = k < members[i].Width;
                gather[(i * maxWidth) + k] = members[i].Offset + (inside ? k : 0);
                padding[(i * maxWidth) + k] = !inside;
                padded |= !inside;
            }
        }

        var scales = members.Select(m => m.Scale).ToArray();
        return new CategoricalGroup(
            Own(tensor(gather, device: device)),
            padded ? Own(tensor(padding, device: device).reshape(members.Length, maxWidth)) : null,
            members.Length,
            maxWidth,
            Own(tensor(members.Select(m => (long)m.Column).ToArray(), device: device)),
            Own(tensor(scales, device: device)));
    }

    public void Dispose()
    {
        foreach (var t in _owned)
        {
            t.Dispose();
        }

        _owned.Clear();
    }

    private sealed class Features
    {
        public List<long> Positions { get; } = [];

        private readonly List<long> _columns = [];
        private readonly List<float> _scales = [];

        public void Add(int offset, int width, int index, float scale)
        {
            for (var i = 0; i < width; i++)
            {
                Positions.Add(offset + i);
                _columns.Add(index);
                _scales.Add(scale);
            }
        }

        public FeatureTensors? ToTensors(LossLayout owner, Device device)
        {
            if (Positions.Count == 0)
            {
                return null;
            }

            var consecutive = Positions.Select((p, i) => p - i).Distinct().Count() == 1;
            return new FeatureTensors(
                owner.Own(tensor(Positions.ToArray(), device: device)),
                owner.Own(tensor(_columns.ToArray(), device: device)),
                owner.Own(tensor(_scales.ToArray(), device: device)),
                consecutive ? (int)Positions[0] : -1,
                Positions.Count);
        }
    }
}
