using System.Runtime.Intrinsics;
using DinoSeg.Parallel;

namespace DinoSeg.GrabCut;

/// <summary>
/// GrabCut (Rother, Kolmogorov and Blake 2004) as OpenCV's <c>cv::grabCut</c> with a mask init: foreground and background
/// colour GMMs learnt from a trimap, a graph cut with OpenCV's data terms (−log of the other model's density) and 8-neighbour
/// contrast terms γ·exp(−β‖Δ‖²) (γ/√2 on diagonals, β = 1 / (2·mean‖Δ‖²) over the image), repeated with the models
/// relearnt from the new labels. Unlike OpenCV, the graph holds only the undecided pixels: a sure pixel never changes
/// label (OpenCV ties it to its terminal with 8γ + 1, more than all its edges together), so its edges become terminal
/// weights of its undecided neighbours and the cut is the same.
/// </summary>
/// <remarks>
/// The sure pixels enter the colour models through 32-level-per-channel colour bins (exact sums; one component choice per
/// bin, at the bin's mean colour), so a learning round costs the bins and the band, not the image. Sequential and in a
/// fixed order: bit-identical whatever the thread count. Buffers grow to the largest image and band seen, then stay.
/// </remarks>
internal sealed class GrabCutSolver
{
    /// <summary>OpenCV's trimap codes (GC_BGD, GC_FGD, GC_PR_BGD, GC_PR_FGD).</summary>
    public const byte Background = 0, Foreground = 1, ProbablyBackground = 2, ProbablyForeground = 3;

    /// <summary>OpenCV's contrast weight γ.</summary>
    public const double Gamma = 50;

    private const int Bins = 1 << 15; // 5 bits per channel
    private const int KMeansIterations = 10;

    private readonly ColorGmm _foregroundModel = new(), _backgroundModel = new();
    private readonly ColorBin[] _foregroundBins = new ColorBin[Bins], _backgroundBins = new ColorBin[Bins];
    private int[] _foregroundTouched = new int[64], _backgroundTouched = new int[64];
    private int _foregroundTouchedCount, _backgroundTouchedCount;
    private byte[] _foregroundBinComponent = [], _backgroundBinComponent = [];
    private const int SureForegroundPixel = -1, SureBackgroundPixel = -2;
    private int[] _nodeOf = [];          // per pixel: its graph node, or SureForegroundPixel / SureBackgroundPixel
    private byte[] _image = [];          // the image, copied so that the workers can read it (a span cannot go to them)
    private int _width, _height;
    private double _beta;
    private int[] _band = [];            // per node: its pixel
    private double[] _toForeground = []; // per node: weight of its edges to sure-foreground neighbours
    private double[] _toBackground = [];
    private double[] _sourceWeight = [], _sinkWeight = []; // per node: the terminal weights the flow holds now
    private double[] _newSourceWeight = [], _newSinkWeight = []; // per node: this round's terminal weights
    private readonly ColorColumns _bandColor = new(); // per node: its colour as doubles, four nodes to a vector load
    private readonly ColorColumns _foregroundBinMean = new(), _backgroundBinMean = new(); // per touched bin: its mean colour
    private byte[] _bandLabel = [];      // per node: its trimap code now (a copy the workers can read)
    private readonly BandJobs _jobs;
    private byte[] _component = [];      // per node: its GMM component
    private int[] _edgeTo = [];          // per node, 4 slots (left, up-left, up, up-right): the neighbour's node, or −1
    private double[] _edgeWeight = [];
    private readonly ColorColumns _sampleColor = new();
    private double[] _sampleWeight = [];
    private readonly double[] _centres = new double[3 * ColorGmm.Components];
    private byte[] _sampleLabel = [], _previousSampleLabel = [];
    private double[] _sampleDistance = []; // k-means++: per sample, the squared distance to its nearest centre so far
    private readonly MaxFlow _flow = new();

    /// <summary>A solver with its own buffers; its per-pixel stages run on <see cref="RangeWorkers.Shared"/>.</summary>
    public GrabCutSolver() => _jobs = new BandJobs(this);

    /// <summary>Runs the per-pixel stages on the calling thread alone (for tests: the split must not change the result).</summary>
    internal bool Sequential { get; init; }

    /// <summary>Nodes (undecided pixels) of the last run.</summary>
    public int BandPixels { get; private set; }

    /// <summary>Rounds the last run took (it stops early when no label changes).</summary>
    public int Iterations { get; private set; }

    /// <summary>OpenCV's β: 1 / (2·mean‖Δcolour‖²) over all left, up-left, up and up-right neighbour pairs; 0 on a flat image.</summary>
    public static double Beta(ReadOnlySpan<byte> rgb, int width, int height)
    {
        if (rgb.Length < 3 * width * height) throw new ArgumentException($"Expected {3 * width * height} colour bytes, found {rgb.Length}.", nameof(rgb));
        long sum = 0; // squared differences of bytes: exact in integers
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                int p = 3 * (y * width + x);
                if (x > 0) sum += Squared(rgb, p, p - 3);
                if (y > 0)
                {
                    int up = p - 3 * width;
                    if (x > 0) sum += Squared(rgb, p, up - 3);
                    sum += Squared(rgb, p, up);
                    if (x < width - 1) sum += Squared(rgb, p, up + 3);
                }
            }
        }

        if (sum == 0) return 0;
        double pairs = 4.0 * width * height - 3.0 * width - 3.0 * height + 2.0;
        return 1.0 / (2.0 * sum / pairs);
    }

    /// <summary>
    /// Labels the undecided pixels of <paramref name="trimap"/> (<see cref="ProbablyForeground"/> or
    /// <see cref="ProbablyBackground"/>) by up to <paramref name="maxIterations"/> rounds of GrabCut; sure pixels stay.
    /// </summary>
    /// <param name="rgb">The image, 3 bytes per pixel, row-major.</param>
    /// <param name="width">Image width.</param>
    /// <param name="height">Image height.</param>
    /// <param name="beta">The image's <see cref="Beta"/>.</param>
    /// <param name="trimap">OpenCV codes per pixel; the undecided ones are rewritten.</param>
    /// <param name="maxIterations">Rounds at most (OpenCV's iterCount).</param>
    /// <param name="stopWhenStable">Stop after a round that changed no label (otherwise run all rounds, like OpenCV).</param>
    /// <returns>False (trimap untouched) when there is nothing to decide or one model has no pixel to learn from.</returns>
    public bool Run(ReadOnlySpan<byte> rgb, int width, int height, double beta, Span<byte> trimap, int maxIterations, bool stopWhenStable = true)
    {
        int n = width * height;
        if (rgb.Length < 3 * n) throw new ArgumentException($"Expected {3 * n} colour bytes, found {rgb.Length}.", nameof(rgb));
        if (trimap.Length < n) throw new ArgumentException($"Expected {n} trimap values, found {trimap.Length}.", nameof(trimap));
        ArgumentOutOfRangeException.ThrowIfNegative(maxIterations);
        BandPixels = 0;
        Iterations = 0;
        if (!CollectBand(rgb, trimap, n, out long foregroundSamples, out long backgroundSamples) || foregroundSamples == 0 || backgroundSamples == 0) return false;

        int nodes = BandPixels;
        EnsureCapacity(ref _image, 3 * n);
        rgb[..(3 * n)].CopyTo(_image);
        (_width, _height, _beta) = (width, height, beta);
        int edges = ContrastLinks();
        InitialModel(rgb, trimap, foreground: true);
        InitialModel(rgb, trimap, foreground: false);
        EnsureCapacity(ref _foregroundBinComponent, _foregroundTouchedCount);
        EnsureCapacity(ref _backgroundBinComponent, _backgroundTouchedCount);

        for (int round = 0; round < maxIterations; round++)
        {
            Iterations = round + 1;
            AssignAndLearn(rgb, trimap);
            if (round == 0)
            {
                _flow.Reset(nodes, edges);
                for (int slot = 0; slot < 4 * nodes; slot++)
                {
                    if (_edgeTo[slot] >= 0) _flow.AddEdges(slot >> 2, _edgeTo[slot], _edgeWeight[slot], _edgeWeight[slot]);
                }
            }

            // Only the data terms change between rounds (the band and its contrast edges are fixed by the trimap), so later
            // rounds keep the previous round's flow and add the change of each node's terminal weights: a maximum flow
            // from there is a maximum flow of the new graph (Kohli and Torr's dynamic graph cuts, without reusing the
            // search trees), and most of it is already pushed.
            _jobs.Dispatch(BandJobs.Stage.DataTerms, BandJobs.Groups(nodes));
            for (int node = 0; node < nodes; node++)
            {
                double source = _newSourceWeight[node], sink = _newSinkWeight[node];
                if (round == 0) _flow.AddTerminalWeights(node, source, sink);
                else _flow.AddTerminalWeights(node, source - _sourceWeight[node], sink - _sinkWeight[node]);
                _sourceWeight[node] = source;
                _sinkWeight[node] = sink;
            }
            _flow.Solve();
            int changed = 0;
            for (int node = 0; node < nodes; node++)
            {
                byte label = _flow.InSourceSegment(node) ? ProbablyForeground : ProbablyBackground;
                ref byte t = ref trimap[_band[node]];
                if (t != label) changed++;
                t = label;
                _bandLabel[node] = label;
            }

            if (changed == 0 && stopWhenStable) break;
        }

        return true;
    }

    /// <summary>Numbers the undecided pixels and puts every sure pixel into its model's colour bins.</summary>
    private bool CollectBand(ReadOnlySpan<byte> rgb, ReadOnlySpan<byte> trimap, int n, out long foregroundSamples, out long backgroundSamples)
    {
        foregroundSamples = backgroundSamples = 0;
        ClearBins(_foregroundBins, _foregroundTouched, ref _foregroundTouchedCount);
        ClearBins(_backgroundBins, _backgroundTouched, ref _backgroundTouchedCount);
        EnsureCapacity(ref _nodeOf, n);
        int nodes = 0;
        for (int p = 0; p < n; p++)
        {
            byte t = trimap[p];
            int c = 3 * p;
            switch (t)
            {
                case Foreground:
                    AddToBin(_foregroundBins, ref _foregroundTouched, ref _foregroundTouchedCount, rgb[c], rgb[c + 1], rgb[c + 2]);
                    foregroundSamples++;
                    _nodeOf[p] = SureForegroundPixel;
                    break;
                case Background:
                    AddToBin(_backgroundBins, ref _backgroundTouched, ref _backgroundTouchedCount, rgb[c], rgb[c + 1], rgb[c + 2]);
                    backgroundSamples++;
                    _nodeOf[p] = SureBackgroundPixel;
                    break;
                case ProbablyForeground or ProbablyBackground:
                    if (t == ProbablyForeground) foregroundSamples++;
                    else backgroundSamples++;
                    if (nodes == _band.Length)
                    {
                        Array.Resize(ref _band, Math.Max(1024, nodes * 2));
                        Array.Resize(ref _bandLabel, _band.Length);
                    }

                    _band[nodes] = p;
                    _bandLabel[nodes] = t;
                    _nodeOf[p] = nodes++;
                    break;
                default:
                    throw new ArgumentException($"Trimap values are 0–3 (OpenCV's GC_* codes), found {t} at pixel {p}.", nameof(trimap));
            }
        }

        BandPixels = nodes;
        _bandColor.EnsureCapacity(nodes);
        for (int node = 0; node < nodes; node++)
        {
            int c = 3 * _band[node];
            _bandColor.Set(node, rgb[c], rgb[c + 1], rgb[c + 2]);
        }

        BinMeans(_foregroundBins, _foregroundTouched, _foregroundTouchedCount, _foregroundBinMean);
        BinMeans(_backgroundBins, _backgroundTouched, _backgroundTouchedCount, _backgroundBinMean);
        return nodes > 0;
    }

    private static void BinMeans(ColorBin[] bins, int[] touched, int count, ColorColumns means)
    {
        means.EnsureCapacity(count);
        for (int i = 0; i < count; i++)
        {
            ref ColorBin bin = ref bins[touched[i]];
            double inv = 1.0 / bin.Count;
            means.Set(i, bin.R * inv, bin.G * inv, bin.B * inv);
        }
    }

    /// <summary>
    /// Per node (on the workers), the contrast weights to its sure neighbours as terminal weights, and the edges to the
    /// undecided neighbours that come before it in raster order (left, up-left, up, up-right: OpenCV's order), each pair
    /// once; the flow takes them in node and slot order, as a sequential loop would add them.
    /// </summary>
    /// <returns>The number of edges.</returns>
    private int ContrastLinks()
    {
        int nodes = BandPixels;
        EnsureCapacity(ref _toForeground, nodes);
        EnsureCapacity(ref _toBackground, nodes);
        EnsureCapacity(ref _sourceWeight, nodes);
        EnsureCapacity(ref _sinkWeight, nodes);
        EnsureCapacity(ref _newSourceWeight, nodes);
        EnsureCapacity(ref _newSinkWeight, nodes);
        EnsureCapacity(ref _component, nodes);
        EnsureCapacity(ref _edgeTo, 4 * nodes);
        EnsureCapacity(ref _edgeWeight, 4 * nodes);
        _jobs.Dispatch(BandJobs.Stage.ContrastLinks, nodes);
        int edges = 0;
        foreach (int other in _edgeTo.AsSpan(0, 4 * nodes)) edges += other >= 0 ? 1 : 0;
        return edges;
    }

    /// <summary>One node's part of <see cref="ContrastLinks()"/>.</summary>
    private void ContrastLinks(int node)
    {
        int width = _width, height = _height, p = _band[node], y = p / width, x = p - y * width;
        double diagonal = Gamma / Math.Sqrt(2.0), toForeground = 0, toBackground = 0;
        for (int dy = -1; dy <= 1; dy++)
        {
            int qy = y + dy;
            if ((uint)qy >= (uint)height) continue;
            for (int dx = -1; dx <= 1; dx++)
            {
                int qx = x + dx;
                if ((dx == 0 && dy == 0) || (uint)qx >= (uint)width) continue;
                int q = qy * width + qx, other = _nodeOf[q];
                if (other >= 0) continue; // an undecided neighbour: an edge, added by the later pixel of the pair
                double w = (dx != 0 && dy != 0 ? diagonal : Gamma) * Math.Exp(-_beta * Squared(_image, 3 * p, 3 * q));
                if (other == SureForegroundPixel) toForeground += w;
                else toBackground += w;
            }
        }

        // The earlier undecided neighbours, in OpenCV's order, so adjacency lists are built as there.
        EdgeTo(4 * node, p, x - 1, y, Gamma);
        EdgeTo(4 * node + 1, p, x - 1, y - 1, diagonal);
        EdgeTo(4 * node + 2, p, x, y - 1, Gamma);
        EdgeTo(4 * node + 3, p, x + 1, y - 1, diagonal);
        _toForeground[node] = toForeground;
        _toBackground[node] = toBackground;
    }

    private void EdgeTo(int slot, int p, int qx, int qy, double scale)
    {
        int other = (uint)qx < (uint)_width && (uint)qy < (uint)_height ? _nodeOf[qy * _width + qx] : -1;
        _edgeTo[slot] = Math.Max(other, -1);
        if (other >= 0) _edgeWeight[slot] = scale * Math.Exp(-_beta * Squared(_image, 3 * p, 3 * (qy * _width + qx)));
    }

    /// <summary>
    /// The first models: k-means (k-means++ seeding with a fixed seed, 10 Lloyd rounds, as OpenCV's init) over the model's
    /// colour bins (weighted by their counts) and its undecided pixels, then one learning pass with those clusters.
    /// </summary>
    private void InitialModel(ReadOnlySpan<byte> rgb, ReadOnlySpan<byte> trimap, bool foreground)
    {
        ColorBin[] bins = foreground ? _foregroundBins : _backgroundBins;
        int[] touched = foreground ? _foregroundTouched : _backgroundTouched;
        int binCount = foreground ? _foregroundTouchedCount : _backgroundTouchedCount;
        byte label = foreground ? ProbablyForeground : ProbablyBackground;
        int samples = binCount;
        for (int node = 0; node < BandPixels; node++) if (trimap[_band[node]] == label) samples++;
        _sampleColor.EnsureCapacity(samples);
        EnsureCapacity(ref _sampleWeight, samples);
        EnsureCapacity(ref _sampleLabel, samples);
        EnsureCapacity(ref _previousSampleLabel, samples);
        EnsureCapacity(ref _sampleDistance, samples);
        ColorColumns means = foreground ? _foregroundBinMean : _backgroundBinMean;
        int s = 0;
        for (int i = 0; i < binCount; i++, s++)
        {
            _sampleColor.Set(s, means.R[i], means.G[i], means.B[i]);
            _sampleWeight[s] = bins[touched[i]].Count;
        }

        for (int node = 0; node < BandPixels; node++)
        {
            int p = _band[node];
            if (trimap[p] != label) continue;
            _sampleColor.Set(s, rgb[3 * p], rgb[3 * p + 1], rgb[3 * p + 2]);
            _sampleWeight[s++] = 1;
        }

        KMeans(samples, foreground ? 0x9E3779B97F4A7C15UL : 0xD1B54A32D192ED03UL);
        ColorGmm model = foreground ? _foregroundModel : _backgroundModel;
        model.BeginLearning();
        for (int i = 0; i < binCount; i++) model.Add(_sampleLabel[i], bins[touched[i]]);
        s = binCount;
        for (int node = 0; node < BandPixels; node++)
        {
            int p = _band[node];
            if (trimap[p] != label) continue;
            model.Add(_sampleLabel[s++], rgb[3 * p], rgb[3 * p + 1], rgb[3 * p + 2]);
        }

        model.EndLearning();
    }

    /// <summary>Weighted k-means into <see cref="_sampleLabel"/>; fewer clusters when the samples hold fewer distinct colours.</summary>
    private void KMeans(int samples, ulong seed)
    {
        const int K = ColorGmm.Components;
        Span<double> centres = _centres;
        ulong state = seed;
        double total = 0;
        for (int i = 0; i < samples; i++) total += _sampleWeight[i];

        // k-means++: the first centre by weight, each next one by weight × squared distance to the nearest centre. Each
        // sample keeps its nearest distance so far and takes the minimum with each new centre (in the order the centres
        // came, as a loop over them would).
        int k = 0;
        int first = Pick(total, useDistance: false, ref state);
        Centre(k++, first);
        for (int i = 0; i < samples; i++) _sampleDistance[i] = Math.Min(double.PositiveInfinity, Distance(i, 0));
        while (k < K)
        {
            double sum = 0;
            for (int i = 0; i < samples; i++) sum += _sampleWeight[i] * _sampleDistance[i];
            if (!(sum > 0)) break; // every sample sits on a centre
            int next = Pick(sum, useDistance: true, ref state);
            Centre(k++, next);
            if (k == K) break;
            for (int i = 0; i < samples; i++) _sampleDistance[i] = Math.Min(_sampleDistance[i], Distance(i, k - 1));
        }

        Span<double> sums = stackalloc double[4 * K];
        for (int round = 0; round <= KMeansIterations; round++)
        {
            if (round > 0) _sampleLabel.AsSpan(0, samples).CopyTo(_previousSampleLabel);
            (_jobs.Centres, _jobs.Samples) = (k, samples);
            _jobs.Dispatch(BandJobs.Stage.NearestCentres, BandJobs.Groups(samples));
            if (round == KMeansIterations) break;

            // Converged: the centres would come out as they are (same clusters, same sums), so every later round would
            // repeat this one.
            if (round > 0 && _sampleLabel.AsSpan(0, samples).SequenceEqual(_previousSampleLabel.AsSpan(0, samples))) break;
            sums.Clear();
            for (int i = 0; i < samples; i++)
            {
                int c = _sampleLabel[i];
                double w = _sampleWeight[i];
                sums[4 * c] += w * _sampleColor.R[i];
                sums[4 * c + 1] += w * _sampleColor.G[i];
                sums[4 * c + 2] += w * _sampleColor.B[i];
                sums[4 * c + 3] += w;
            }

            for (int c = 0; c < k; c++)
            {
                if (sums[4 * c + 3] == 0) continue; // an empty cluster keeps its centre
                for (int ch = 0; ch < 3; ch++) centres[3 * c + ch] = sums[4 * c + ch] / sums[4 * c + 3];
            }
        }

        int Pick(double mass, bool useDistance, ref ulong rng)
        {
            double target = NextUnit(ref rng) * mass, acc = 0;
            for (int i = 0; i < samples; i++)
            {
                acc += _sampleWeight[i] * (useDistance ? _sampleDistance[i] : 1);
                if (acc > target) return i;
            }

            return samples - 1;
        }

        void Centre(int c, int sample)
        {
            (_centres[3 * c], _centres[3 * c + 1], _centres[3 * c + 2]) = (_sampleColor.R[sample], _sampleColor.G[sample], _sampleColor.B[sample]);
        }
    }

    /// <summary>
    /// The nearest of the first <paramref name="centres"/> centres to samples 4·group … 4·group + 3 (the first of equals):
    /// <see cref="Distance"/>'s arithmetic in its order, four samples per vector.
    /// </summary>
    private Vector256<long> Nearest(int group, int centres)
    {
        var (r, g, b) = _sampleColor.Load(group);
        Vector256<long> best = Vector256<long>.Zero;
        Vector256<double> bestDistance = Vector256.Create(double.PositiveInfinity);
        for (int c = 0; c < centres; c++)
        {
            Vector256<double> dr = r - Vector256.Create(_centres[3 * c]), dg = g - Vector256.Create(_centres[3 * c + 1]), db = b - Vector256.Create(_centres[3 * c + 2]);
            Vector256<double> d = dr * dr + dg * dg + db * db;
            Vector256<double> nearer = Vector256.LessThan(d, bestDistance);
            bestDistance = Vector256.ConditionalSelect(nearer, d, bestDistance);
            best = Vector256.ConditionalSelect(nearer.AsInt64(), Vector256.Create((long)c), best);
        }

        return best;
    }

    private double Distance(int sample, int c)
    {
        double dr = _sampleColor.R[sample] - _centres[3 * c], dg = _sampleColor.G[sample] - _centres[3 * c + 1], db = _sampleColor.B[sample] - _centres[3 * c + 2];
        return dr * dr + dg * dg + db * db;
    }

    /// <summary>One GrabCut round's model update: each pixel (each bin of sure pixels) to its likeliest component, then relearn.</summary>
    private void AssignAndLearn(ReadOnlySpan<byte> rgb, ReadOnlySpan<byte> trimap)
    {
        _jobs.Dispatch(BandJobs.Stage.BinComponents, BandJobs.Groups(_foregroundTouchedCount) + BandJobs.Groups(_backgroundTouchedCount));
        _jobs.Dispatch(BandJobs.Stage.Components, BandJobs.Groups(BandPixels));

        _foregroundModel.BeginLearning();
        _backgroundModel.BeginLearning();
        for (int i = 0; i < _foregroundTouchedCount; i++) _foregroundModel.Add(_foregroundBinComponent[i], _foregroundBins[_foregroundTouched[i]]);
        for (int i = 0; i < _backgroundTouchedCount; i++) _backgroundModel.Add(_backgroundBinComponent[i], _backgroundBins[_backgroundTouched[i]]);
        for (int node = 0; node < BandPixels; node++)
        {
            int c = 3 * _band[node];
            ColorGmm model = trimap[_band[node]] == ProbablyForeground ? _foregroundModel : _backgroundModel;
            model.Add(_component[node], rgb[c], rgb[c + 1], rgb[c + 2]);
        }

        // A model left without samples (every undecided pixel went to the other side, and it has no sure pixel) keeps its
        // previous parameters.
        _foregroundModel.EndLearning();
        _backgroundModel.EndLearning();
    }

    private static void AddToBin(ColorBin[] bins, ref int[] touched, ref int count, int r, int g, int b)
    {
        int index = ((r >> 3) << 10) | ((g >> 3) << 5) | (b >> 3);
        ref ColorBin bin = ref bins[index];
        if (bin.Count == 0)
        {
            if (count == touched.Length) Array.Resize(ref touched, Math.Min(Bins, touched.Length * 2));
            touched[count++] = index;
        }

        bin.Add(r, g, b);
    }

    private static void ClearBins(ColorBin[] bins, int[] touched, ref int count)
    {
        for (int i = 0; i < count; i++) bins[touched[i]] = default;
        count = 0;
    }

    private static int Squared(ReadOnlySpan<byte> rgb, int a, int b)
    {
        int dr = rgb[a] - rgb[b], dg = rgb[a + 1] - rgb[b + 1], db = rgb[a + 2] - rgb[b + 2];
        return dr * dr + dg * dg + db * db;
    }

    /// <summary>xorshift64*: a fixed, allocation-free sequence, so the init is the same on every run.</summary>
    private static double NextUnit(ref ulong state)
    {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        return ((state * 0x2545F4914F6CDD1DUL) >> 11) * (1.0 / (1UL << 53));
    }

    private static void EnsureCapacity<T>(ref T[] array, int length)
    {
        if (array.Length < length) array = new T[Math.Max(length, array.Length + array.Length / 2)];
    }

    /// <summary>
    /// Colours as three columns of doubles, padded to whole <see cref="Vector256{T}"/>s, so that four consecutive colours
    /// load as one vector per channel. The padding lanes hold whatever was there: they are computed and never written.
    /// </summary>
    private sealed class ColorColumns
    {
        public double[] R { get; private set; } = [];

        public double[] G { get; private set; } = [];

        public double[] B { get; private set; } = [];

        /// <summary>Room for <paramref name="count"/> colours and the padding after them; the contents are not kept.</summary>
        public void EnsureCapacity(int count)
        {
            int padded = BandJobs.Lanes * BandJobs.Groups(count);
            if (R.Length >= padded) return;
            int size = Math.Max(padded, R.Length + R.Length / 2 + BandJobs.Lanes) & ~(BandJobs.Lanes - 1);
            (R, G, B) = (new double[size], new double[size], new double[size]);
        }

        public void Set(int i, double r, double g, double b) => (R[i], G[i], B[i]) = (r, g, b);

        /// <summary>Colours 4·group … 4·group + 3.</summary>
        public (Vector256<double> R, Vector256<double> G, Vector256<double> B) Load(int group)
        {
            int first = BandJobs.Lanes * group;
            return (Vector256.Create<double>(R.AsSpan(first, BandJobs.Lanes)), Vector256.Create<double>(G.AsSpan(first, BandJobs.Lanes)),
                Vector256.Create<double>(B.AsSpan(first, BandJobs.Lanes)));
        }
    }

    /// <summary>
    /// The per-pixel stages, split over the workers: each index is computed alone from read-only models and written to its
    /// own slot, so the result is the same whatever the split. Sums stay sequential in the solver (their order is fixed).
    /// The vector stages work on groups of four consecutive colours (<see cref="ColorColumns"/>), and it is groups, not
    /// colours, that are split among the workers, so every colour is computed the same way whatever the split.
    /// </summary>
    private sealed class BandJobs(GrabCutSolver solver) : IRangeJob
    {
        public enum Stage { ContrastLinks, DataTerms, Components, BinComponents, NearestCentres }

        // Below this many pixels a part costs less than waking a worker.
        private const int MinPerPart = 2048;

        /// <summary>Colours per vector call (the lanes of a <see cref="Vector256{T}"/> of doubles).</summary>
        public const int Lanes = 4;

        private Stage _stage;

        /// <summary>Centres chosen so far, for <see cref="Stage.NearestCentres"/>.</summary>
        public int Centres { get; set; }

        /// <summary>k-means samples, for <see cref="Stage.NearestCentres"/>.</summary>
        public int Samples { get; set; }

        /// <summary>Groups of <see cref="Lanes"/> that hold <paramref name="count"/> colours.</summary>
        public static int Groups(int count) => (count + Lanes - 1) / Lanes;

        public void Dispatch(Stage stage, int count)
        {
            _stage = stage;
            if (solver.Sequential) Run(0, count);
            else RangeWorkers.Shared.For(this, count, stage == Stage.ContrastLinks ? MinPerPart : MinPerPart / Lanes);
        }

        public void Run(int start, int end)
        {
            switch (_stage)
            {
                case Stage.ContrastLinks:
                    for (int node = start; node < end; node++) solver.ContrastLinks(node);
                    break;
                case Stage.DataTerms:
                    for (int group = start; group < end; group++) DataTerms(group);
                    break;
                case Stage.Components:
                    for (int group = start; group < end; group++) Components(group);
                    break;
                case Stage.BinComponents:
                    int foregroundGroups = Groups(solver._foregroundTouchedCount);
                    for (int group = start; group < end; group++)
                    {
                        if (group < foregroundGroups) BinComponents(solver._foregroundModel, solver._foregroundBinMean, solver._foregroundTouchedCount, solver._foregroundBinComponent, group);
                        else BinComponents(solver._backgroundModel, solver._backgroundBinMean, solver._backgroundTouchedCount, solver._backgroundBinComponent, group - foregroundGroups);
                    }

                    break;
                case Stage.NearestCentres:
                    for (int group = start; group < end; group++) NearestCentres(group);
                    break;
            }
        }

        /// <summary>Data terms of nodes 4·group … 4·group + 3, one vector call per model; padding lanes are not written.</summary>
        private void DataTerms(int group)
        {
            int first = Lanes * group, count = Math.Min(Lanes, solver.BandPixels - first);
            var (r, g, b) = solver._bandColor.Load(group);
            Vector256<double> background = solver._backgroundModel.NegativeLog(r, g, b), foreground = solver._foregroundModel.NegativeLog(r, g, b);
            for (int lane = 0; lane < count; lane++)
            {
                int node = first + lane;
                solver._newSourceWeight[node] = solver._toForeground[node] + background.GetElement(lane);
                solver._newSinkWeight[node] = solver._toBackground[node] + foreground.GetElement(lane);
            }
        }

        /// <summary>Samples of the group to their nearest k-means centre; padding lanes are not written.</summary>
        private void NearestCentres(int group)
        {
            int first = Lanes * group, count = Math.Min(Lanes, Samples - first);
            Vector256<long> nearest = solver.Nearest(group, Centres);
            for (int lane = 0; lane < count; lane++) solver._sampleLabel[first + lane] = (byte)nearest.GetElement(lane);
        }

        /// <summary>Each node of the group to its likeliest component of the model of its current label.</summary>
        /// <remarks>A model no node of the group has is not evaluated: the band's labels come in runs, so most groups need one.</remarks>
        private void Components(int group)
        {
            int first = Lanes * group, count = Math.Min(Lanes, solver.BandPixels - first), foregroundNodes = 0;
            for (int lane = 0; lane < count; lane++) foregroundNodes += solver._bandLabel[first + lane] == ProbablyForeground ? 1 : 0;
            var (r, g, b) = solver._bandColor.Load(group);
            Vector256<long> foreground = foregroundNodes > 0 ? solver._foregroundModel.MostLikely(r, g, b) : default;
            Vector256<long> background = foregroundNodes < count ? solver._backgroundModel.MostLikely(r, g, b) : default;
            for (int lane = 0; lane < count; lane++)
            {
                int node = first + lane;
                solver._component[node] = (byte)(solver._bandLabel[node] == ProbablyForeground ? foreground : background).GetElement(lane);
            }
        }

        /// <summary>Each bin of the group (at its mean colour) to its likeliest component of its model.</summary>
        private static void BinComponents(ColorGmm model, ColorColumns means, int bins, byte[] components, int group)
        {
            int first = Lanes * group, count = Math.Min(Lanes, bins - first);
            var (r, g, b) = means.Load(group);
            Vector256<long> best = model.MostLikely(r, g, b);
            for (int lane = 0; lane < count; lane++) components[first + lane] = (byte)best.GetElement(lane);
        }
    }
}
