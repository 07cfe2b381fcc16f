using SkiaSharp;

namespace Vae.MLNet.Examples.Tests;

/// <summary>Checks that a PNG an example wrote holds a picture: it decodes, has a sensible size, and is neither one
/// flat colour nor a handful of colours (an empty plot is a white canvas with a few black axis lines).</summary>
internal static class Png
{
    public static void AssertPicture(string path, int minimumColours = 8)
    {
        Assert.True(File.Exists(path), $"{path} was not written");
        using var bitmap = SKBitmap.Decode(path);
        Assert.True(bitmap is not null, $"{path} does not decode as an image");
        Assert.True(bitmap.Width >= 100 && bitmap.Height >= 100, $"{path} is only {bitmap.Width} x {bitmap.Height}");

        var colours = new HashSet<uint>();
        double sum = 0, sumOfSquares = 0;
        var samples = 0;
        var step = Math.Max(1, (int)Math.Sqrt((double)bitmap.Width * bitmap.Height / 90_000));
        for (var y = 0; y < bitmap.Height; y += step)
        {
            for (var x = 0; x < bitmap.Width; x += step)
            {
                var c = bitmap.GetPixel(x, y);
                colours.Add((uint)c);
                var luminance = (0.299 * c.Red) + (0.587 * c.Green) + (0.114 * c.Blue);
                sum += luminance;
                sumOfSquares += luminance * luminance;
                samples++;
            }
        }

        var mean = sum / samples;
        var deviation = Math.Sqrt(Math.Max(0, (sumOfSquares / samples) - (mean * mean)));
        Assert.True(colours.Count >= minimumColours, $"{path} has only {colours.Count} distinct colours among {samples} sampled pixels");
        Assert.True(deviation > 3, $"{path} is nearly uniform: luminance standard deviation {deviation:F2}");
    }
}
