// LabelTransfer::read: labels exported by another experiment (CSV, or JSON when the name ends in
// .json). The reader takes a path, so each input goes through a scratch file, named .json when the
// content starts like JSON (after white space) and .csv otherwise, so seeds are plain label files.
//
// What read accepts is written back with LabelTransfer::write in both formats and read again: the
// header promises that read takes what write gives, and a re-exported label must stay the same label
// of the same sample.
#include "FuzzSupport.h"

#include "Error.h"
#include "activelearning/LabelTransfer.h"

#include <cstdint>

namespace {

QString describe(const gw::LabelRecord &r)
{
    return QStringLiteral("{key '%1', index %2, label %3, annotator '%4', created '%5', round %6}")
        .arg(r.sampleKey)
        .arg(r.sampleIndex)
        .arg(r.label)
        .arg(r.annotator, r.createdAt.toString(Qt::ISODateWithMs))
        .arg(r.round);
}

bool same(const gw::LabelRecord &a, const gw::LabelRecord &b)
{
    return a.sampleKey == b.sampleKey && a.sampleIndex == b.sampleIndex && a.label == b.label && a.annotator == b.annotator
        && a.createdAt == b.createdAt && a.round == b.round;
}

void checkRoundTrip(const std::vector<gw::LabelRecord> &labels, const QString &format)
{
    const QByteArray written = gw::LabelTransfer::write(labels, {}, format);
    const QString path = gwfuzz::writeScratch(QStringLiteral("rewritten.") + format, written.constData(), std::size_t(written.size()));
    std::vector<gw::LabelRecord> again;
    try {
        again = gw::LabelTransfer::read(path);
    } catch (const gw::Error &e) {
        gwfuzz::violated(QStringLiteral("read refuses what write gave as %1: %2").arg(format, e.message()));
    }
    if (again.size() != labels.size())
        gwfuzz::violated(QStringLiteral("%1 labels written as %2, %3 read back").arg(labels.size()).arg(format).arg(again.size()));
    for (std::size_t i = 0; i < labels.size(); ++i)
        if (!same(labels[i], again[i]))
            gwfuzz::violated(QStringLiteral("label %1 changed in a %2 write and read: %3 became %4")
                                 .arg(i)
                                 .arg(format, describe(labels[i]), describe(again[i])));
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    const QByteArray bytes = QByteArray::fromRawData(reinterpret_cast<const char *>(data), qsizetype(size));
    const QByteArray start = bytes.trimmed().left(1);
    const QString name = start == "{" || start == "[" ? QStringLiteral("labels.json") : QStringLiteral("labels.csv");
    const QString path = gwfuzz::writeScratch(name, bytes.constData(), size);
    std::vector<gw::LabelRecord> labels;
    try {
        labels = gw::LabelTransfer::read(path);
    } catch (const gw::Error &) {
        return 0;
    }
    if (gwfuzz::checkInvariants()) {
        checkRoundTrip(labels, QStringLiteral("csv"));
        checkRoundTrip(labels, QStringLiteral("json"));
    }
    return 0;
}
