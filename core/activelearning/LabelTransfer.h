#pragma once
#include "store/LabelRepository.h"

#include <QMap>
#include <QString>
#include <vector>

namespace gw {

/// Labels leave one experiment and enter another, so nobody labels the same image twice. The files
/// carry per label: sample key (IDX split and index, or the image's path), sample index, label,
/// class name, annotator, time and round. CSV has those as columns; JSON is
/// {"format": "green-workbench-labels", "version": 1, "labels": [{...}, ...]}.
class LabelTransfer {
public:
    /// Writes the labels in force (@p labels) as CSV or JSON by @p format ("csv" or "json").
    static QByteArray write(const std::vector<LabelRecord> &labels, const QMap<int, QString> &classNames, const QString &format);
    /// Reads a file written by write() (JSON when it ends in .json, CSV otherwise). Throws gw::Error
    /// naming the file and the line or entry that is wrong.
    static std::vector<LabelRecord> read(const QString &path);
};

} // namespace gw
