#include "carbon/CarbonForecast.h"

#include "Error.h"
#include "util/CsvTable.h"
#include "util/Files.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTimeZone>
#include <algorithm>
#include <cmath>

namespace gw {

namespace {

QString describeStep(qint64 stepMs)
{
    if (stepMs % 3600000 == 0)
        return QStringLiteral("%1 h").arg(stepMs / 3600000);
    if (stepMs % 60000 == 0)
        return QStringLiteral("%1 min").arg(stepMs / 60000);
    return QStringLiteral("%1 s").arg(double(stepMs) / 1000.0);
}

} // namespace

QDateTime CarbonForecast::parseTime(const QString &text, QString *problem)
{
    const QString trimmed = text.trimmed();
    QDateTime time = QDateTime::fromString(trimmed, Qt::ISODateWithMs);
    if (!time.isValid())
        time = QDateTime::fromString(trimmed, Qt::ISODate);
    if (!time.isValid()) {
        if (problem)
            *problem = QStringLiteral("'%1' is not an ISO 8601 time such as 2026-11-26T10:00Z").arg(trimmed);
        return {};
    }
    // Qt reads a time without a designator as local time; a forecast must not depend on the zone of
    // the machine that reads it.
    if (time.timeSpec() == Qt::LocalTime) {
        if (problem)
            *problem = QStringLiteral("'%1' has no time zone; add Z for UTC or an offset such as +01:00").arg(trimmed);
        return {};
    }
    return time.toUTC();
}

QString CarbonForecast::formatTime(const QDateTime &time)
{
    return time.toUTC().toString(Qt::ISODate);
}

CarbonForecast::CarbonForecast(std::vector<Point> points, const QString &origin)
    : points_(std::move(points)), origin_(origin)
{
    if (points_.size() < 2)
        throw Error(QStringLiteral("%1: a forecast needs at least two values to know its step, got %2").arg(origin).arg(points_.size()));
    startsMs_.reserve(points_.size());
    for (std::size_t i = 0; i < points_.size(); ++i) {
        const Point &p = points_[i];
        if (!p.startUtc.isValid())
            throw Error(QStringLiteral("%1: value %2 has no valid time").arg(origin).arg(i + 1));
        if (!std::isfinite(p.intensityGPerKwh) || p.intensityGPerKwh < 0)
            throw Error(QStringLiteral("%1: value %2 (%3) is %4, not a non-negative intensity")
                            .arg(origin).arg(i + 1).arg(formatTime(p.startUtc)).arg(p.intensityGPerKwh));
        startsMs_.push_back(p.startUtc.toMSecsSinceEpoch());
    }
    stepMs_ = startsMs_[1] - startsMs_[0];
    if (stepMs_ <= 0)
        throw Error(QStringLiteral("%1: times must increase, but value 2 (%2) is not after value 1 (%3)")
                        .arg(origin, formatTime(points_[1].startUtc), formatTime(points_[0].startUtc)));
    cumulative_.assign(points_.size(), 0.0);
    for (std::size_t i = 1; i < points_.size(); ++i) {
        const qint64 gap = startsMs_[i] - startsMs_[i - 1];
        if (gap <= 0)
            throw Error(QStringLiteral("%1: times must increase, but value %2 (%3) is not after value %4")
                            .arg(origin).arg(i + 1).arg(formatTime(points_[i].startUtc)).arg(i));
        if (gap != stepMs_)
            throw Error(QStringLiteral("%1: value %2 (%3) comes %4 after the previous one; the step is %5 (a missing time?)")
                            .arg(origin).arg(i + 1).arg(formatTime(points_[i].startUtc), describeStep(gap), describeStep(stepMs_)));
        cumulative_[i] = cumulative_[i - 1] + points_[i - 1].intensityGPerKwh * double(stepMs_);
    }
}

CarbonForecast CarbonForecast::fromCsvFile(const QString &path)
{
    return fromCsv(readWholeFile(path), path);
}

CarbonForecast CarbonForecast::fromCsv(const QByteArray &text, const QString &origin)
{
    const CsvTable table = CsvTable::parse(text, origin, {QStringLiteral("datetime"), QStringLiteral("intensity_g_per_kwh")});
    if (table.rows.size() < 2)
        throw Error(QStringLiteral("%1: a forecast needs at least two rows under the header 'datetime,intensity_g_per_kwh', got %2")
                        .arg(origin).arg(table.rows.size()));
    const int timeColumn = table.column(QStringLiteral("datetime"));
    const int valueColumn = table.column(QStringLiteral("intensity_g_per_kwh"));
    std::vector<Point> points;
    points.reserve(table.rows.size());
    for (std::size_t i = 0; i < table.rows.size(); ++i) {
        const QString where = QStringLiteral("%1:%2").arg(origin).arg(table.lineNumbers[i]);
        QString problem;
        Point p;
        p.startUtc = parseTime(table.rows[i][timeColumn], &problem);
        if (!p.startUtc.isValid())
            throw Error(QStringLiteral("%1: %2").arg(where, problem));
        bool ok = false;
        const QString valueText = table.rows[i][valueColumn].trimmed();
        p.intensityGPerKwh = valueText.toDouble(&ok);
        if (!ok || !std::isfinite(p.intensityGPerKwh) || p.intensityGPerKwh < 0)
            throw Error(QStringLiteral("%1: '%2' is not a non-negative number in column intensity_g_per_kwh").arg(where, valueText));
        if (!points.empty() && p.startUtc <= points.back().startUtc)
            throw Error(QStringLiteral("%1: %2 is not after the previous row's %3; rows must be in time order without repeats")
                            .arg(where, formatTime(p.startUtc), formatTime(points.back().startUtc)));
        if (points.size() >= 2) {
            const qint64 step = points[1].startUtc.toMSecsSinceEpoch() - points[0].startUtc.toMSecsSinceEpoch();
            const qint64 gap = p.startUtc.toMSecsSinceEpoch() - points.back().startUtc.toMSecsSinceEpoch();
            // Checked here as well as in the constructor so that the message names the line.
            if (gap != step)
                throw Error(QStringLiteral("%1: %2 comes %3 after the previous row; the step is %4 (a missing row?)")
                                .arg(where, formatTime(p.startUtc), describeStep(gap), describeStep(step)));
        }
        points.push_back(p);
    }
    return CarbonForecast(std::move(points), origin);
}

CarbonForecast CarbonForecast::fromElectricityMapsJson(const QByteArray &json, const QString &origin)
{
    QJsonParseError parseError;
    const QJsonDocument document = QJsonDocument::fromJson(json, &parseError);
    if (parseError.error != QJsonParseError::NoError)
        throw Error(QStringLiteral("%1: malformed JSON at offset %2: %3").arg(origin).arg(parseError.offset).arg(parseError.errorString()));
    if (!document.isObject())
        throw Error(QStringLiteral("%1: malformed answer: expected a JSON object").arg(origin));
    const QJsonValue forecast = document.object().value(QStringLiteral("forecast"));
    if (!forecast.isArray())
        throw Error(QStringLiteral("%1: malformed answer: no 'forecast' array").arg(origin));
    const QJsonArray entries = forecast.toArray();
    std::vector<Point> points;
    points.reserve(std::size_t(entries.size()));
    for (int i = 0; i < entries.size(); ++i) {
        const QJsonObject entry = entries.at(i).toObject();
        const QJsonValue value = entry.value(QStringLiteral("carbonIntensity"));
        if (!value.isDouble())
            throw Error(QStringLiteral("%1: malformed answer: forecast[%2] has no number 'carbonIntensity'").arg(origin).arg(i));
        QString problem;
        const QDateTime time = parseTime(entry.value(QStringLiteral("datetime")).toString(), &problem);
        if (!time.isValid())
            throw Error(QStringLiteral("%1: malformed answer: forecast[%2] 'datetime': %3").arg(origin).arg(i).arg(problem));
        points.push_back({time, value.toDouble()});
    }
    return CarbonForecast(std::move(points), origin);
}

QDateTime CarbonForecast::startUtc() const
{
    return points_.empty() ? QDateTime() : points_.front().startUtc;
}

QDateTime CarbonForecast::endUtc() const
{
    return points_.empty() ? QDateTime() : points_.back().startUtc.addMSecs(stepMs_);
}

bool CarbonForecast::covers(const QDateTime &from, const QDateTime &to) const
{
    return !points_.empty() && from.isValid() && to.isValid() && from >= startUtc() && to <= endUtc() && from <= to;
}

double CarbonForecast::intensityAt(const QDateTime &time) const
{
    if (points_.empty() || !time.isValid() || time < startUtc() || time >= endUtc())
        throw Error(QStringLiteral("%1: no value at %2; the forecast covers %3 to %4")
                        .arg(origin_, formatTime(time), formatTime(startUtc()), formatTime(endUtc())));
    const qint64 offset = time.toMSecsSinceEpoch() - startsMs_.front();
    return points_[std::size_t(offset / stepMs_)].intensityGPerKwh;
}

double CarbonForecast::integralTo(qint64 t) const
{
    const qint64 offset = t - startsMs_.front();
    // The very end of the forecast belongs to the last step, not to a step past it.
    const std::size_t index = std::min(std::size_t(offset / stepMs_), points_.size() - 1);
    return cumulative_[index] + points_[index].intensityGPerKwh * double(t - startsMs_[index]);
}

double CarbonForecast::meanIntensity(const QDateTime &from, double durationS) const
{
    if (!(durationS > 0) || !std::isfinite(durationS))
        throw Error(QStringLiteral("a run duration must be a positive number of seconds, got %1").arg(durationS));
    const qint64 fromMs = from.toMSecsSinceEpoch();
    const qint64 toMs = fromMs + qint64(std::llround(durationS * 1000.0));
    const QDateTime to = QDateTime::fromMSecsSinceEpoch(toMs, QTimeZone::utc());
    if (!covers(from, to))
        throw Error(QStringLiteral("%1 covers %2 to %3, not the run from %4 to %5")
                        .arg(origin_, formatTime(startUtc()), formatTime(endUtc()), formatTime(from), formatTime(to)));
    if (toMs == fromMs)
        return intensityAt(from);
    return (integralTo(toMs) - integralTo(fromMs)) / double(toMs - fromMs);
}

} // namespace gw
