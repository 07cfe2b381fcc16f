namespace Vae.MLNet.Persistence;

/// <summary>Checks while reading a saved model: a damaged file gives one clear exception type.</summary>
internal static class ModelFormat
{
    public static void Check(bool condition, string problem)
    {
        if (!condition)
        {
            throw new InvalidDataException($"The saved variational autoencoder is corrupt or incompatible: {problem}.");
        }
    }

    public static int CheckCount(int count, string what, int max = 1 << 28)
    {
        Check(count >= 0 && count <= max, $"{what} {count} is out of range");
        return count;
    }
}
