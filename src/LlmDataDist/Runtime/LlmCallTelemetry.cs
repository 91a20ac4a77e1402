using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;

namespace LlmDataDist;

/// <summary>
/// Starts one span and one duration measurement per client call. When nothing listens to the activity source or the
/// meter, a call costs two checks: no clock read, no allocation (the client's hot path stays free).
/// </summary>
internal sealed class LlmCallTelemetry
{
    private const string ExceptionStatus = "exception";

    private readonly TimeProvider _time;
    private readonly ActivitySource _source;
    private readonly Histogram<double> _duration;

    /// <summary>Creates the telemetry of one client.</summary>
    /// <param name="options">Where the telemetry goes.</param>
    public LlmCallTelemetry(LlmDataDistClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _time = options.TimeProvider;
        _source = options.ActivitySource ?? LlmDataDistTelemetry.ActivitySource;
        var meter = options.Meter ?? LlmDataDistTelemetry.Meter;
        _duration = meter.CreateHistogram<double>(LlmDataDistTelemetry.DurationInstrument, unit: "s",
            description: "Duration of LLM-DataDist calls, by operation and status.");
    }

    /// <summary>Starts a call; end it with <see cref="LlmCall.End"/> or <see cref="LlmCall.Fail"/>.</summary>
    /// <param name="operation">The C++ name of the operation.</param>
    /// <returns>The running call; inactive (and free) when nothing listens.</returns>
    public LlmCall Begin(string operation)
    {
        var timed = _duration.Enabled;
        var activity = _source.HasListeners() ? _source.StartActivity(operation, ActivityKind.Client) : null;
        if (!timed && activity is null)
        {
            return default;
        }

        activity?.SetTag(LlmDataDistTelemetry.OperationTag, operation);
        return new LlmCall(this, operation, activity, timed, timed ? _time.GetTimestamp() : 0);
    }

    /// <summary>The status tag of a status: its name, or the raw code in hex when the header does not name it.</summary>
    internal static string StatusText(LlmStatus status) =>
        status.IsKnown() ? status.ToString() : "0x" + ((uint)status).ToString("X8", CultureInfo.InvariantCulture);

    private void Record(string operation, bool timed, long started, string status)
    {
        if (timed)
        {
            _duration.Record(_time.GetElapsedTime(started).TotalSeconds,
                new KeyValuePair<string, object?>(LlmDataDistTelemetry.OperationTag, operation),
                new KeyValuePair<string, object?>(LlmDataDistTelemetry.StatusTag, status));
        }
    }

    /// <summary>One running call: a value, so an unobserved call allocates nothing.</summary>
    internal readonly struct LlmCall
    {
        private readonly LlmCallTelemetry? _owner;
        private readonly string _operation;
        private readonly Activity? _activity;
        private readonly bool _timed;
        private readonly long _started;

        internal LlmCall(LlmCallTelemetry owner, string operation, Activity? activity, bool timed, long started)
        {
            _owner = owner;
            _operation = operation;
            _activity = activity;
            _timed = timed;
            _started = started;
        }

        /// <summary>Ends the call with the status it returned: tags and ends the span, records the duration.</summary>
        /// <param name="status">The status.</param>
        public void End(LlmStatus status)
        {
            if (_owner is null)
            {
                return;
            }

            var text = StatusText(status);
            if (_activity is not null)
            {
                _activity.SetTag(LlmDataDistTelemetry.StatusTag, text);
                _activity.SetTag(LlmDataDistTelemetry.StatusCodeTag, (uint)status);
                _activity.SetStatus(status == LlmStatus.Success ? ActivityStatusCode.Ok : ActivityStatusCode.Error, text);
                _activity.Dispose();
            }

            _owner.Record(_operation, _timed, _started, text);
        }

        /// <summary>Ends a call the backend threw from (status <c>exception</c>).</summary>
        /// <param name="exception">What it threw.</param>
        public void Fail(Exception exception)
        {
            if (_owner is null)
            {
                return;
            }

            if (_activity is not null)
            {
                _activity.SetTag(LlmDataDistTelemetry.StatusTag, ExceptionStatus);
                _activity.SetTag("exception.type", exception.GetType().FullName);
                _activity.SetStatus(ActivityStatusCode.Error, exception.Message);
                _activity.Dispose();
            }

            _owner.Record(_operation, _timed, _started, ExceptionStatus);
        }
    }
}
