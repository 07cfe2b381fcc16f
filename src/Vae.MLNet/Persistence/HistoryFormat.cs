using Vae.MLNet.Columns;

namespace Vae.MLNet.Persistence;

/// <summary>Writes and reads the training history inside a saved model.</summary>
internal static class HistoryFormat
{
    public static void Write(BinaryWriter writer, IReadOnlyList<VaeEpochResult> history)
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
            WriteOptional(writer, epoch.ValidationLoss);
            WriteOptional(writer, epoch.ValidationReconstruction);
            WriteOptional(writer, epoch.ValidationKl);
            writer.Write(epoch.Elapsed.Ticks);
        }
    }

    public static List<VaeEpochResult> Read(BinaryReader reader)
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
                ReadOptional(reader), ReadOptional(reader), ReadOptional(reader), TimeSpan.FromTicks(reader.ReadInt64())));
        }

        return history;
    }

    private static void WriteOptional(BinaryWriter writer, double? value)
    {
        writer.Write(value.HasValue);
        if (value.HasValue)
        {
            writer.Write(value.Value);
        }
    }

    private static double? ReadOptional(BinaryReader reader) => reader.ReadBoolean() ? reader.ReadDouble() : null;
}
