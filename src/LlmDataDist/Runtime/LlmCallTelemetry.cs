using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;

namespace LlmDataDist;

/// <summary>Starts one span and one duration measurement per client call.</summary>
internal sealed class LlmCallTelemetry
{
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

    /// <summary>Starts a call; dispose the result when the call ends.</summary>
    /// <param name="operation">The C++ name of the operation.</param>
    /// <returns>The running call.</returns>
    public LlmCall Begin(string operation) =>
        new(this, operation, _source.StartActivity(operation, ActivityKind.Client), _time.GetTimestamp());

    /// <summary>One running call: <see cref="Complete"/> with the status, then dispose (a call never completed counts as an exception).</summary>
    internal sealed class LlmCall : IDisposable
    {
        private readonly LlmCallTelemetry _owner;
        private readonly string _operation;
        private readonly Activity? _activity;
        private readonly long _started;
        private string _status = "exception";
        private bool _ended;

        internal LlmCall(LlmCallTelemetry owner, string operation, Activity? activity, long started)
        {
            _owner = owner;
            _operation = operation;
            _activity = activity;
            _started = started;
            _activity?.SetTag(LlmDataDistTelemetry.OperationTag, operation);
        }

        /// <summary>Records the status the call returned.</summary>
        /// <param name="status">The status.</param>
        public void Complete(LlmStatus status)
        {
            _status = status.IsKnown() ? status.ToString() : "0x" + ((uint)status).ToString("X8", CultureInfo.InvariantCulture);
            if (_activity is not null)
            {
                _activity.SetTag(LlmDataDistTelemetry.StatusTag, _status);
                _activity.SetTag("llmdatadist.status_code", (uint)status);
                _activity.SetStatus(status == LlmStatus.Success ? ActivityStatusCode.Ok : ActivityStatusCode.Error, _status);
            }
        }

        /// <summary>Ends the span and records the duration.</summary>
        public void Dispose()
        {
            if (_ended)
            {
                return;
            }

            _ended = true;
            var seconds = _owner._time.GetElapsedTime(_started).TotalSeconds;
            _owner._duration.Record(seconds,
                new KeyValuePair<string, object?>(LlmDataDistTelemetry.OperationTag, _operation),
                new KeyValuePair<string, object?>(LlmDataDistTelemetry.StatusTag, _status));
            if (_status == "exception")
            {
                _activity?.SetTag(LlmDataDistTelemetry.StatusTag, _status);
                _activity?.SetStatus(ActivityStatusCode.Error, "exception");
            }

            _activity?.Dispose();
        }
    }
}
