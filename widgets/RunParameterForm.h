#pragma once
#include "config/RunConfig.h"

#include <QWidget>
#include <functional>
#include <nlohmann/json.hpp>
#include <vector>

class QCheckBox;
class QTabWidget;

namespace gw {

struct RunParameter;

/// Every run parameter as a form, generated from RunParameters: a tab per section, one editor per
/// parameter chosen by its type (spin box with its range and unit, combo box of its choices, file
/// chooser, check box), its help as tooltip, and "none"/"all" where null or zero means that. An
/// optional section (active learning) gets a switch that enables its editors.
class RunParameterForm : public QWidget {
    Q_OBJECT
public:
    /// @p reservedMnemonics: Alt+letters the surrounding dialog uses, which the form's labels avoid.
    explicit RunParameterForm(const QString &reservedMnemonics = QString(), QWidget *parent = nullptr);

    void setConfig(const RunConfig &config);
    /// The form as config JSON (an optional section that is off: null).
    nlohmann::json toJson() const;
    /// The config the form describes; an Error naming the key when it is not valid (the same
    /// message the JSON reader and the command line give).
    RunConfig config() const;

    /// The editor of @p key (a QLineEdit, QSpinBox, QDoubleSpinBox, QComboBox or QCheckBox); null if unknown.
    QWidget *editor(const QString &key) const;
    /// The switch of the optional section @p key; null if there is none.
    QCheckBox *sectionSwitch(const QString &key) const;
    QTabWidget *tabs() const { return tabs_; }

Q_SIGNALS:
    /// Any editor changed.
    void changed();

private:
    struct Field {
        const RunParameter *parameter;
        QWidget *editor;
        std::function<nlohmann::json()> read;
        std::function<void(const nlohmann::json &)> write;
    };
    Field makeField(const RunParameter &parameter);

    QTabWidget *tabs_;
    std::vector<Field> fields_;
    std::vector<std::pair<QString, QCheckBox *>> sectionSwitches_;
};

} // namespace gw
