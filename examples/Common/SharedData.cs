/// <summary>Finds the repository's shared data sets (<c>../shared/data</c> beside the repository root).</summary>
internal static class SharedData
{
    /// <summary>The folder <c>../shared/data/<paramref name="name"/></c> seen from the repository root: first from the
    /// current directory (where <c>dotnet run</c> is started), then from the folders above the program's own
    /// location. Returns the first candidate if none exists, so that the caller's message names a sensible path.</summary>
    public static string Folder(string name)
    {
        var relative = Path.Combine("..", "shared", "data", name);
        var candidates = new List<string> { Path.GetFullPath(relative) };
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Vae.MLNet.sln")))
            {
                candidates.Add(Path.GetFullPath(Path.Combine(dir.FullName, relative)));
                break;
            }
        }

        return candidates.FirstOrDefault(Directory.Exists) ?? candidates[0];
    }
}
