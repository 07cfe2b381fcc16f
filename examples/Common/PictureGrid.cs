using ScottPlot;
using SkiaSharp;

/// <summary>Several plots side by side in one PNG.</summary>
internal static class PictureGrid
{
    /// <summary>Draws <paramref name="plots"/> row by row, <paramref name="columns"/> to a row, each
    /// <paramref name="width"/> x <paramref name="height"/> pixels, and saves the picture as a PNG.</summary>
    public static void Save(string path, IReadOnlyList<Plot> plots, int columns, int width, int height)
    {
        var rows = (plots.Count + columns - 1) / columns;
        using var surface = SKSurface.Create(new SKImageInfo(columns * width, rows * height));
        surface.Canvas.Clear(SKColors.White);
        for (var i = 0; i < plots.Count; i++)
        {
            using var image = SKBitmap.Decode(plots[i].GetImageBytes(width, height, ImageFormat.Png));
            surface.Canvas.DrawBitmap(image, i % columns * width, i / columns * height);
        }

        using var snapshot = surface.Snapshot();
        using var png = snapshot.Encode(SKEncodedImageFormat.Png, 100);
        File.WriteAllBytes(path, png.ToArray());
    }
}
