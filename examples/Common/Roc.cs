/// <summary>Receiver operating characteristic figures of a score against true labels.</summary>
internal static class Roc
{
    /// <summary>The area under the ROC curve: the probability that a random positive scores above a random negative
    /// (ties count half), from the ranks (Mann-Whitney U).</summary>
    public static double Auc(bool[] positive, double[] scores)
    {
        var order = Enumerable.Range(0, scores.Length).OrderBy(i => scores[i]).ToArray();
        var ranks = new double[scores.Length];
        for (var start = 0; start < order.Length;)
        {
            var end = start;
            while (end + 1 < order.Length && scores[order[end + 1]] == scores[order[start]])
            {
                end++;
            }

            for (var k = start; k <= end; k++)
            {
                ranks[order[k]] = ((start + end) / 2.0) + 1;
            }

            start = end + 1;
        }

        double positives = positive.Count(p => p), negatives = positive.Length - positives;
        var rankSum = ranks.Where((_, i) => positive[i]).Sum();
        return (rankSum - (positives * (positives + 1) / 2)) / (positives * negatives);
    }

    /// <summary>False and true positive rates from the highest score down: one point per distinct score, at most
    /// about 500 points.</summary>
    public static (double[] Fpr, double[] Tpr) Curve(bool[] positive, double[] scores)
    {
        var order = Enumerable.Range(0, positive.Length).OrderByDescending(i => scores[i]).ToArray();
        double positives = positive.Count(l => l), negatives = positive.Length - positives;
        var fpr = new List<double> { 0 };
        var tpr = new List<double> { 0 };
        double tp = 0, fp = 0;
        for (var k = 0; k < order.Length; k++)
        {
            if (positive[order[k]])
            {
                tp++;
            }
            else
            {
                fp++;
            }

            if (k == order.Length - 1 || (scores[order[k + 1]] != scores[order[k]] && k % Math.Max(1, order.Length / 500) == 0))
            {
                fpr.Add(fp / negatives);
                tpr.Add(tp / positives);
            }
        }

        return (fpr.ToArray(), tpr.ToArray());
    }
}
