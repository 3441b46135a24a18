using DinoSeg;
using DinoSeg.Web;

// dotnet run --project samples/DinoSeg.Web                                  → http://127.0.0.1:5180 (loopback only)
// dotnet run --project samples/DinoSeg.Web -- --urls http://0.0.0.0:8080    → only when you mean to share it
// Settings: --DinoSeg:MaxUploadBytes=…, --DinoSeg:Backbone=dinov3 --DinoSeg:Model=model.onnx, … (see WebOptions.cs).
try
{
    await using WebApplication app = WebApp.Create(args);
    await app.RunAsync();
    return 0;
}
catch (Exception e) when (e is ArgumentException or DinoSegException or FileNotFoundException or IOException
    && Environment.GetEnvironmentVariable("DINOSEG_DEBUG") != "1")
{
    // Bad settings, a model that does not fit, an address already in use: one line, no stack trace.
    Console.Error.WriteLine($"dinoseg-web: error: {e.Message.ReplaceLineEndings(" ")}");
    return 1;
}
