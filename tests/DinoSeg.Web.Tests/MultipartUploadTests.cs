using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using DinoSeg.Tests.Shared;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace DinoSeg.Web.Tests;

/// <summary>
/// Uploads as <c>multipart/form-data</c> (<c>curl -F file=@photo.jpg</c>, an HTML form) as well as raw bodies: the first
/// file part is the image, named by its filename; a form without one, or with a file over the limit, is a JSON error.
/// </summary>
[Collection(WebCollection.Name)]
public sealed class MultipartUploadTests(WebFixture web)
{
    private HttpClient Http => web.Http;

    [Fact]
    public async Task Upload_MultipartFilePart_IsNamedByItsFilename_AndIsTheSameImageAsTheRawBody()
    {
        // Arrange: a photo no other test opens (the cache names an image after its first upload).
        byte[] bytes = UniquePng();
        using var form = new MultipartFormDataContent { { new StringContent("a note"), "comment" } };
        var file = new ByteArrayContent(bytes);
        file.Headers.ContentType = new MediaTypeHeaderValue("image/png");
        form.Add(file, "file", "my photo.png");

        // Act
        using HttpResponseMessage response = await Http.PostAsync("/api/images", form);
        using var raw = new ByteArrayContent(bytes);
        using HttpResponseMessage rawResponse = await Http.PostAsync("/api/images", raw);

        // Assert
        string id = await IdOf(response);
        using JsonDocument info = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("my photo.png", info.RootElement.GetProperty("name").GetString());
        Assert.Equal(48, info.RootElement.GetProperty("width").GetInt32());
        Assert.Equal(id, await IdOf(rawResponse));
    }

    private static byte[] UniquePng()
    {
        using var image = new Image<Rgb24>(48, 32);
        var random = new Random(Guid.NewGuid().GetHashCode());
        image.ProcessPixelRows(rows =>
        {
            for (int y = 0; y < rows.Height; y++)
            {
                foreach (ref Rgb24 pixel in rows.GetRowSpan(y)) pixel = new Rgb24((byte)random.Next(256), (byte)random.Next(256), (byte)random.Next(256));
            }
        });
        using var png = new MemoryStream();
        image.SaveAsPng(png);
        return png.ToArray();
    }

    [Fact]
    public async Task Upload_MultipartWithoutAFilePart_Is400SayingHowToSendIt()
    {
        using var form = new MultipartFormDataContent { { new StringContent("no file here"), "comment" } };

        using HttpResponseMessage response = await Http.PostAsync("/api/images", form);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("no file part", await ErrorOf(response));
    }

    [Fact]
    public async Task Upload_MultipartFileOverTheLimit_Is413()
    {
        using var form = new MultipartFormDataContent();
        form.Add(new ByteArrayContent(new byte[WebFixture.Options.MaxUploadBytes + 1]), "file", "big.png");

        using HttpResponseMessage response = await Http.PostAsync("/api/images", form);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Contains("big.png", await ErrorOf(response));
    }

    [Fact]
    public async Task Upload_WithCurlDashF_OpensTheImage()
    {
        // The README's form: curl -F file=@photo.jpg http://127.0.0.1:5180/api/images
        ChildProcess.Outcome curl = await ChildProcess.RunAsync("curl", ["-sS", "-F", $"file=@{TestPaths.Image("chelsea.png")}", new Uri(web.BaseAddress, "/api/images").ToString()],
            new ChildProcess.RunOptions { Timeout = TimeSpan.FromSeconds(60) });

        Assert.True(curl.ExitCode == 0, curl.StdErr);
        using JsonDocument info = JsonDocument.Parse(curl.StdOut);
        Assert.Equal("chelsea.png", info.RootElement.GetProperty("name").GetString());
        Assert.Equal(451, info.RootElement.GetProperty("width").GetInt32());
    }

    private static async Task<string> IdOf(HttpResponseMessage response)
    {
        string body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        return JsonDocument.Parse(body).RootElement.GetProperty("id").GetString()!;
    }

    private static async Task<string> ErrorOf(HttpResponseMessage response)
    {
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetString()!;
    }
}
