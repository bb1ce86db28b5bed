// CodeCarbonCsv::append over an existing emissions file of arbitrary content: the check of its header
// (BOM, CRLF, a last row without a line end) decides whether our row goes in. The fuzz input is the
// file as it was before the append; the run appended is always the same.
//
// The promises checked (CodeCarbonCsv.h): refused, the file is left as it was; accepted, the old bytes
// are kept as they were and our row follows on a line of its own, and the file takes a second row too.
#include "FuzzSupport.h"

#include "Error.h"
#include "report/CodeCarbonCsv.h"

#include <QTimeZone>
#include <cstdint>

namespace {

const gw::RunReport &report()
{
    static const gw::RunReport r = [] {
        gw::RunReport report;
        report.runId = 7;
        report.project = QStringLiteral("fuzz, \"quoted\" project");
        report.name = QStringLiteral("run");
        report.status = QStringLiteral("finished");
        report.startedAt = QDateTime(QDate(2026, 1, 2), QTime(3, 4, 5), QTimeZone::utc());
        report.endedAt = report.startedAt.addSecs(90);
        report.durationS = 90;
        report.energyKwh = 0.0123;
        report.emissionsG = 4.56;
        report.cpuSource = QStringLiteral("estimated");
        report.cpuEnergyKwh = 0.01;
        report.cpuPowerW = 40;
        report.countryIso3 = QStringLiteral("FRA");
        report.countryName = QStringLiteral("France");
        return report;
    }();
    return r;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    const QByteArray before(reinterpret_cast<const char *>(data), qsizetype(size));
    const QString path = gwfuzz::writeScratch(QStringLiteral("emissions.csv"), before.constData(), size);
    try {
        gw::CodeCarbonCsv::append(report(), path);
    } catch (const gw::Error &e) {
        if (gwfuzz::checkInvariants() && gwfuzz::readScratch(path) != before)
            gwfuzz::violated(QStringLiteral("append refused (%1) but changed the file").arg(e.message()));
        return 0;
    }
    if (!gwfuzz::checkInvariants())
        return 0;
    const QByteArray after = gwfuzz::readScratch(path);
    const QByteArray row = gw::CodeCarbonCsv::formatLine(gw::CodeCarbonCsv::rowValues(report()));
    if (!after.startsWith(before))
        gwfuzz::violated(QStringLiteral("append changed the bytes that were in the file"));
    const QByteArray added = after.mid(before.size());
    if (!(added.endsWith(row + "\n") || added.endsWith(row + "\r\n")))
        gwfuzz::violated(QStringLiteral("the appended text does not end with our row: '%1'").arg(QString::fromUtf8(added.left(200))));
    // Our row must start a line: the file read line by line has it as a line of its own.
    const qsizetype at = after.size() - (added.endsWith("\r\n") ? 2 : 1) - row.size();
    if (at > 0 && after.at(at - 1) != '\n')
        gwfuzz::violated(QStringLiteral("our row does not start a line of its own"));
    try {
        gw::CodeCarbonCsv::append(report(), path);
    } catch (const gw::Error &e) {
        gwfuzz::violated(QStringLiteral("a file append accepted refuses a second row: %1").arg(e.message()));
    }
    return 0;
}
