using Mono.Cecil;

// Usage: Vae.MLNet.Publicizer <input.dll> <output.dll> [<input.dll> <output.dll> ...]
// Makes every type, method and field public. Properties and events follow their accessors. The output is a
// reference for the compiler only; it is never loaded at run time.
if (args.Length == 0 || args.Length % 2 != 0)
{
    Console.Error.WriteLine("usage: Vae.MLNet.Publicizer <input.dll> <output.dll> [...]");
    return 2;
}

for (var i = 0; i < args.Length; i += 2)
{
    var resolver = new DefaultAssemblyResolver();
    resolver.AddSearchDirectory(Path.GetDirectoryName(Path.GetFullPath(args[i]))!);
    using var assembly = AssemblyDefinition.ReadAssembly(args[i], new ReaderParameters { AssemblyResolver = resolver });
    foreach (var type in assembly.MainModule.GetTypes())
    {
        Publicize(type);
    }

    Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(args[i + 1]))!);
    assembly.Write(args[i + 1]);
}

return 0;

static void Publicize(TypeDefinition type)
{
    if (type.IsNested)
    {
        type.IsNestedPublic = true;
    }
    else
    {
        type.IsPublic = true;
    }

    foreach (var method in type.Methods)
    {
        method.IsPublic = true;
    }

    foreach (var field in type.Fields)
    {
        // A public field beside a same-named event would clash in the compiler; keep event backing fields as they are.
        if (!type.Events.Any(e => e.Name == field.Name))
        {
            field.IsPublic = true;
        }
    }
}
