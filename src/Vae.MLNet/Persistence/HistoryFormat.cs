namespace Vae.MLNet.Persistence;

/// <summary>Writes and reads the training history inside a saved model.</summary>
internal static class HistoryFormat
{
    public static void Write(ModelWriter writer, IReadOnlyList<VaeEpochResult> history)
    {
        writer.Write(history.Count);
        foreach (var epoch in history)
        {
            writer.Write(epoch.Epoch);
            writer.Write(epoch.Loss);
            writer.Write(epoch.ReconstructionByColumn.Count);
            foreach (var (name, value) in epoch.ReconstructionByColumn)
            {
                writer.Write(name);
                writer.Write(value);
            }

            writer.Write(epoch.KlByDimension.Count);
            foreach (var value in epoch.KlByDimension)
            {
                writer.Write(value);
            }

            writer.Write(epoch.Beta);
            writer.Write(epoch.ActiveUnits);
            writer.WriteOptional(epoch.ValidationLoss);
            writer.WriteOptional(epoch.ValidationReconstruction);
            writer.WriteOptional(epoch.ValidationKl);
            writer.Write(epoch.Elapsed.Ticks);
        }
    }

    public static List<VaeEpochResult> Read(ModelReader reader)
    {
        var count = ModelFormat.CheckCount(reader.ReadInt32(), "history length", 1 << 24);
        var history = new List<VaeEpochResult>(count);
        for (var i = 0; i < count; i++)
        {
            var epoch = reader.ReadInt32();
            var loss = reader.ReadDouble();
            var columns = ModelFormat.CheckCount(reader.ReadInt32(), "history column count");
            var reconstruction = new Dictionary<string, double>(columns);
            for (var c = 0; c < columns; c++)
            {
                reconstruction[reader.ReadString()] = reader.ReadDouble();
            }

            var kl = new double[ModelFormat.CheckCount(reader.ReadInt32(), "history latent size")];
            for (var j = 0; j < kl.Length; j++)
            {
                kl[j] = reader.ReadDouble();
            }

            history.Add(new VaeEpochResult(
                epoch, loss, reconstruction, kl, reader.ReadDouble(), reader.ReadInt32(),
                reader.ReadOptionalDouble(), reader.ReadOptionalDouble(), reader.ReadOptionalDouble(), TimeSpan.FromTicks(reader.ReadInt64())));
        }

        return history;
    }
}
